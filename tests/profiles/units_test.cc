// Unit parsing against hand-computed SI values. Oracles: the SI and IEC prefix definitions
// (k = 1e3, Gi = 2^30) and 8 bits per byte; every expected value below is written out by hand.
#include "hardware_profiles/units.h"

#include <gtest/gtest.h>

#include <cmath>

namespace ptsim {
namespace {

double parse_ok(std::string_view text, Unit unit) {
  auto r = parse_quantity(text, unit, "test", "/x");
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().one_line());
  return r.ok() ? *r : std::nan("");
}

std::string parse_error(std::string_view text, Unit unit) {
  auto r = parse_quantity(text, unit, "test", "/x");
  if (r.ok()) return "parsed as " + std::to_string(*r);
  return r.error().one_line();
}

TEST(UnitUnits, NicBandwidthInBitsBecomesBytesPerSecond) {
  // 400 Gb/s = 400e9 bits/s / 8 bits per byte = 50e9 bytes/s (exact: a division by 2^3).
  EXPECT_EQ(parse_ok("400 Gb/s", Unit::bytes_per_s), 50e9);
  EXPECT_EQ(parse_ok("400 Gbps", Unit::bytes_per_s), 50e9);
  EXPECT_EQ(parse_ok("200 Gb/s", Unit::bytes_per_s), 25e9);
  EXPECT_EQ(parse_ok("800 Mb/s", Unit::bytes_per_s), 100e6);
}

TEST(UnitUnits, BytesPerSecondAreDecimal) {
  EXPECT_EQ(parse_ok("50 GB/s", Unit::bytes_per_s), 50e9);
  // The decimal prefix goes into the exponent before rounding, so "3.35 TB/s" is the double
  // nearest to 3.35e12, the same double as the literal.
  EXPECT_EQ(parse_ok("3.35 TB/s", Unit::bytes_per_s), 3.35e12);
  EXPECT_EQ(parse_ok("2039 GB/s", Unit::bytes_per_s), 2.039e12);
  EXPECT_EQ(parse_ok("1 GiB/s", Unit::bytes_per_s), 1073741824.0);
}

TEST(UnitUnits, GibibytesArePowersOfTwoAndGigabytesPowersOfTen) {
  EXPECT_EQ(parse_ok("80 GiB", Unit::bytes), 85899345920.0);  // 80 * 1073741824
  EXPECT_EQ(parse_ok("80 GB", Unit::bytes), 80e9);
  EXPECT_EQ(parse_ok("81559 MiB", Unit::bytes), 85520809984.0);  // 81559 * 1048576
  EXPECT_EQ(parse_ok("4 KiB", Unit::bytes), 4096.0);
  EXPECT_EQ(parse_ok("1.5 kB", Unit::bytes), 1500.0);
}

TEST(UnitUnits, ComputeRatesAndTimesConvertToSi) {
  EXPECT_EQ(parse_ok("989 TFLOP/s", Unit::flops_per_s), 989e12);
  EXPECT_EQ(parse_ok("989 TFLOPS", Unit::flops_per_s), 989e12);
  EXPECT_EQ(parse_ok("2.25 PFLOP/s", Unit::flops_per_s), 2.25e15);
  EXPECT_EQ(parse_ok("2.5 us", Unit::seconds), 2.5e-6);
  EXPECT_EQ(parse_ok("2.5 \u00b5s", Unit::seconds), 2.5e-6);
  EXPECT_EQ(parse_ok("25 ns", Unit::seconds), 25e-9);
  EXPECT_EQ(parse_ok("1.2 ms", Unit::seconds), 1.2e-3);
  EXPECT_EQ(parse_ok("3 s", Unit::seconds), 3.0);
}

TEST(UnitUnits, SpacesAndExponentsAreOptional) {
  EXPECT_EQ(parse_ok("400Gb/s", Unit::bytes_per_s), 50e9);
  EXPECT_EQ(parse_ok("  450GB/s ", Unit::bytes_per_s), 450e9);
  EXPECT_EQ(parse_ok("1.5e3 GB/s", Unit::bytes_per_s), 1.5e12);
  EXPECT_EQ(parse_ok("2E-3 ms", Unit::seconds), 2e-6);
  EXPECT_EQ(parse_ok(".5 GB", Unit::bytes), 0.5e9);
}

TEST(UnitUnits, DimensionlessTakesBareNumbersAndPercentages) {
  EXPECT_EQ(parse_ok("0.08", Unit::dimensionless), 0.08);
  EXPECT_EQ(parse_ok("8 %", Unit::dimensionless), 0.08);
  EXPECT_EQ(parse_ok("150%", Unit::dimensionless), 1.5);
}

TEST(UnitUnits, ZeroParsesAndIsLeftToTheCaller) {
  EXPECT_EQ(parse_ok("0 Gb/s", Unit::bytes_per_s), 0.0);
  EXPECT_EQ(parse_ok("-0 us", Unit::seconds), 0.0);
}

TEST(UnitUnits, BandwidthWhereASizeIsExpectedIsRejected) {
  EXPECT_EQ(parse_error("400 Gb/s", Unit::bytes),
            "test: /x: '400 Gb/s' is a bandwidth in bytes per second, expected a size in bytes "
            "(e.g. '80 GiB')");
}

TEST(UnitUnits, BitsAreNotASize) {
  EXPECT_EQ(parse_error("80 Gb", Unit::bytes),
            "test: /x: unknown unit 'Gb' in '80 Gb'; a size in bytes takes one of: B, kB, MB, GB, "
            "TB, PB, KiB, MiB, GiB, TiB");
}

TEST(UnitUnits, UnitsAreCaseSensitive) {
  EXPECT_EQ(
      parse_error("450 gb/s", Unit::bytes_per_s),
      "test: /x: unknown unit 'gb/s' in '450 gb/s'; a bandwidth in bytes per second takes one "
      "of: B/s, kB/s, MB/s, GB/s, TB/s, KiB/s, MiB/s, GiB/s, TiB/s, b/s, kb/s, Mb/s, Gb/s, "
      "Tb/s, bps, kbps, Mbps, Gbps, Tbps");
}

TEST(UnitUnits, NanAndInfinityAreRejected) {
  EXPECT_EQ(parse_error("NaN", Unit::bytes_per_s), "test: /x: 'NaN' is not a finite number");
  EXPECT_EQ(parse_error("nan GB/s", Unit::bytes_per_s),
            "test: /x: 'nan GB/s' is not a finite number");
  EXPECT_EQ(parse_error("-inf s", Unit::seconds), "test: /x: '-inf s' is not a finite number");
  EXPECT_EQ(parse_error("1e400 B", Unit::bytes), "test: /x: '1e400 B' is out of range");
}

TEST(UnitUnits, NegativeValuesAreRejected) {
  EXPECT_EQ(parse_error("-5 GB/s", Unit::bytes_per_s),
            "test: /x: must not be negative, got '-5 GB/s'");
}

TEST(UnitUnits, EmptyAndUnitlessStringsAreRejected) {
  EXPECT_EQ(parse_error("  ", Unit::bytes),
            "test: /x: empty value; expected a size in bytes, e.g. '80 GiB'");
  EXPECT_EQ(parse_error("450", Unit::bytes_per_s),
            "test: /x: '450' has no unit; expected a bandwidth in bytes per second, e.g. "
            "'400 Gb/s'");
  EXPECT_EQ(parse_error("GB/s", Unit::bytes_per_s),
            "test: /x: 'GB/s' does not start with a number; expected a bandwidth in bytes per "
            "second, e.g. '400 Gb/s'");
}

// Property: for every prefix and a spread of mantissas, a rate in bits is exactly an eighth of
// the same rate in bytes, and a binary prefix is exactly the power of two times the unprefixed
// value (both are scalings by powers of two, exact in binary floating point).
TEST(PropertyUnits, BitsAreExactlyAnEighthOfBytesAndBinaryPrefixesExactPowersOfTwo) {
  const char* mantissas[] = {"1", "0.1", "3.35", "400", "12.5e2", "7"};
  const char* decimal[] = {"", "k", "M", "G", "T"};
  for (const char* m : mantissas) {
    for (const char* p : decimal) {
      const std::string bits = std::string(m) + " " + p + "b/s";
      const std::string bytes = std::string(m) + " " + p + "B/s";
      EXPECT_EQ(parse_ok(bits, Unit::bytes_per_s) * 8, parse_ok(bytes, Unit::bytes_per_s))
          << m << p;
    }
    const double plain = parse_ok(std::string(m) + " B", Unit::bytes);
    EXPECT_EQ(parse_ok(std::string(m) + " KiB", Unit::bytes), std::ldexp(plain, 10)) << m;
    EXPECT_EQ(parse_ok(std::string(m) + " MiB", Unit::bytes), std::ldexp(plain, 20)) << m;
    EXPECT_EQ(parse_ok(std::string(m) + " GiB", Unit::bytes), std::ldexp(plain, 30)) << m;
    EXPECT_EQ(parse_ok(std::string(m) + " TiB", Unit::bytes), std::ldexp(plain, 40)) << m;
  }
}

double read(const char* json, Unit unit) {
  Json j = Json::parse(json);
  return catch_input_errors([&] {
           StrictObject o(j, "f.json", "");
           const double v = read_quantity(o, "q", unit);
           o.reject_unknown_keys();
           return v;
         })
      .value();
}

std::string read_error(const char* json, Unit unit) {
  Json j = Json::parse(json);
  auto r = catch_input_errors([&] {
    StrictObject o(j, "f.json", "");
    return read_positive_quantity(o, "q", unit);
  });
  return r.ok() ? "read " + std::to_string(*r) : r.error().one_line();
}

TEST(UnitUnits, ReadQuantityTakesBareSiNumbersStringsAndSourcedValues) {
  EXPECT_EQ(read(R"({"q": 3.35e12})", Unit::bytes_per_s), 3.35e12);
  EXPECT_EQ(read(R"({"q": "3.35 TB/s"})", Unit::bytes_per_s), 3.35e12);
  EXPECT_EQ(read(R"({"q": {"value": "400 Gb/s", "source": "ConnectX-7"}})", Unit::bytes_per_s),
            50e9);
  EXPECT_EQ(read(R"({"q": {"value": 2.5e-6, "source": "NCCL"}})", Unit::seconds), 2.5e-6);
}

TEST(UnitUnits, ReadQuantityNamesTheValueInsideASourcedObject) {
  EXPECT_EQ(read_error(R"({"q": {"value": "0 GB/s", "source": "s"}})", Unit::bytes_per_s),
            "f.json: /q/value: must be greater than zero, got '0 GB/s'");
  EXPECT_EQ(read_error(R"({"q": {"value": "1 GB/s"}})", Unit::bytes_per_s),
            "f.json: /q/source: missing required key");
  EXPECT_EQ(read_error(R"({"q": {"value": "1 GB/s", "source": ""}})", Unit::bytes_per_s),
            "f.json: /q/source: must not be empty");
  EXPECT_EQ(
      read_error(R"({"q": {"value": "1 GB/s", "source": "s", "note": 1}})", Unit::bytes_per_s),
      "f.json: /q/note: unknown key");
  EXPECT_EQ(read_error(R"({"q": -3})", Unit::seconds), "f.json: /q: must not be negative, got -3");
  EXPECT_EQ(read_error(R"({"q": true})", Unit::seconds),
            "f.json: /q: expected a time in seconds as a number or a string such as '2.5 us', "
            "found boolean");
}

}  // namespace
}  // namespace ptsim
