// Quantities with units, converted to SI in this one place (in the manner of SimGrid's
// xbt_parse_units). Profiles and flags may write "400 Gb/s" (a NIC, in bits), "3.35 TB/s" (HBM, in
// bytes), "80 GiB", "989 TFLOP/s" or "2.5 us"; everything past this file is SI: bytes, bytes per
// second, FLOP per second, seconds.
//
// Conventions (see hardware_profiles/README.md):
// * b = bit, B = byte. "Gb/s" and "Gbps" are 1e9 bits per second: "400 Gb/s" = 50e9 bytes/s.
// * k, M, G, T, P are powers of 1000; Ki, Mi, Gi, Ti are powers of 1024 ("80 GiB" = 80 * 2^30).
// * A bare JSON number is already SI. A string needs a unit, except for dimensionless values,
//   which may also be written as a percentage ("5 %" = 0.05).
// * NaN, infinities and negative values are rejected for every unit; whether zero is allowed is up
//   to the caller (read_positive_quantity rejects it).
//
// Tests: tests/profiles/units_test.cc.
#pragma once

#include <string>
#include <string_view>

#include "common/json_reader.h"
#include "common/result.h"

namespace ptsim {

enum class Unit { bytes, bytes_per_s, flops_per_s, seconds, dimensionless };

// What a unit measures, in words, for error messages ("a size in bytes").
const char* unit_description(Unit unit);

// Parses "<number> <unit>" (the space is optional) into SI. The number may have a sign, a fraction
// and an exponent ("1.5e3 GB/s"). Decimal prefixes are applied to the decimal exponent before
// rounding, so "3.35 TB/s" is exactly the double nearest to 3.35e12; binary prefixes and bits are
// exact powers of two. Errors carry `source` and `field`.
Result<double> parse_quantity(std::string_view text, Unit expected, const std::string& source,
                              const std::string& field);

// Reads `key` of `obj`: a bare number (SI), a string with a unit, or an object
// {"value": <number or string>, "source": "<where the number comes from>"}. Rejects negative and
// non-finite values. Throws InputException naming the field's JSON pointer.
double read_quantity(StrictObject& obj, std::string_view key, Unit expected);
// As read_quantity, and also rejects zero.
double read_positive_quantity(StrictObject& obj, std::string_view key, Unit expected);
// As read_positive_quantity, but JSON null (bare or as "value") reads as 0, meaning "not supported"
// (a GPU without FP8 tensor cores).
double read_positive_quantity_or_null(StrictObject& obj, std::string_view key, Unit expected);

// Reads an integer written bare or as {"value": <integer>, "source": "..."}; at least `minimum`.
int read_sourced_integer(StrictObject& obj, std::string_view key, int minimum);
// Reads a boolean written bare or as {"value": true|false, "source": "..."}.
bool read_sourced_boolean(StrictObject& obj, std::string_view key);

}  // namespace ptsim
