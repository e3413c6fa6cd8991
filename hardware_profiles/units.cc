#include "hardware_profiles/units.h"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace ptsim {

namespace {

// One accepted spelling of a unit: value_SI = number * 10^decimal_exponent * 2^binary_exponent.
// Bits are 2^-3 bytes, so bit rates are exact.
struct UnitSpelling {
  std::string_view text;
  Unit dimension;
  int decimal_exponent;
  int binary_exponent;
};

constexpr std::array kSpellings = {
    UnitSpelling{"B", Unit::bytes, 0, 0},
    UnitSpelling{"kB", Unit::bytes, 3, 0},
    UnitSpelling{"MB", Unit::bytes, 6, 0},
    UnitSpelling{"GB", Unit::bytes, 9, 0},
    UnitSpelling{"TB", Unit::bytes, 12, 0},
    UnitSpelling{"PB", Unit::bytes, 15, 0},
    UnitSpelling{"KiB", Unit::bytes, 0, 10},
    UnitSpelling{"MiB", Unit::bytes, 0, 20},
    UnitSpelling{"GiB", Unit::bytes, 0, 30},
    UnitSpelling{"TiB", Unit::bytes, 0, 40},
    UnitSpelling{"B/s", Unit::bytes_per_s, 0, 0},
    UnitSpelling{"kB/s", Unit::bytes_per_s, 3, 0},
    UnitSpelling{"MB/s", Unit::bytes_per_s, 6, 0},
    UnitSpelling{"GB/s", Unit::bytes_per_s, 9, 0},
    UnitSpelling{"TB/s", Unit::bytes_per_s, 12, 0},
    UnitSpelling{"KiB/s", Unit::bytes_per_s, 0, 10},
    UnitSpelling{"MiB/s", Unit::bytes_per_s, 0, 20},
    UnitSpelling{"GiB/s", Unit::bytes_per_s, 0, 30},
    UnitSpelling{"TiB/s", Unit::bytes_per_s, 0, 40},
    UnitSpelling{"b/s", Unit::bytes_per_s, 0, -3},
    UnitSpelling{"kb/s", Unit::bytes_per_s, 3, -3},
    UnitSpelling{"Mb/s", Unit::bytes_per_s, 6, -3},
    UnitSpelling{"Gb/s", Unit::bytes_per_s, 9, -3},
    UnitSpelling{"Tb/s", Unit::bytes_per_s, 12, -3},
    UnitSpelling{"bps", Unit::bytes_per_s, 0, -3},
    UnitSpelling{"kbps", Unit::bytes_per_s, 3, -3},
    UnitSpelling{"Mbps", Unit::bytes_per_s, 6, -3},
    UnitSpelling{"Gbps", Unit::bytes_per_s, 9, -3},
    UnitSpelling{"Tbps", Unit::bytes_per_s, 12, -3},
    UnitSpelling{"FLOP/s", Unit::flops_per_s, 0, 0},
    UnitSpelling{"MFLOP/s", Unit::flops_per_s, 6, 0},
    UnitSpelling{"GFLOP/s", Unit::flops_per_s, 9, 0},
    UnitSpelling{"TFLOP/s", Unit::flops_per_s, 12, 0},
    UnitSpelling{"PFLOP/s", Unit::flops_per_s, 15, 0},
    UnitSpelling{"FLOPS", Unit::flops_per_s, 0, 0},
    UnitSpelling{"MFLOPS", Unit::flops_per_s, 6, 0},
    UnitSpelling{"GFLOPS", Unit::flops_per_s, 9, 0},
    UnitSpelling{"TFLOPS", Unit::flops_per_s, 12, 0},
    UnitSpelling{"PFLOPS", Unit::flops_per_s, 15, 0},
    UnitSpelling{"s", Unit::seconds, 0, 0},
    UnitSpelling{"ms", Unit::seconds, -3, 0},
    UnitSpelling{"us", Unit::seconds, -6, 0},
    UnitSpelling{"\u00b5s", Unit::seconds, -6, 0},  // MICRO SIGN
    UnitSpelling{"\u03bcs", Unit::seconds, -6, 0},  // GREEK SMALL LETTER MU
    UnitSpelling{"ns", Unit::seconds, -9, 0},
    UnitSpelling{"%", Unit::dimensionless, -2, 0},
};

const char* example_of(Unit unit) {
  switch (unit) {
    case Unit::bytes:
      return "80 GiB";
    case Unit::bytes_per_s:
      return "400 Gb/s";
    case Unit::flops_per_s:
      return "989 TFLOP/s";
    case Unit::seconds:
      return "2.5 us";
    case Unit::dimensionless:
      return "0.5";
  }
  return "";
}

std::string spellings_of(Unit unit) {
  std::string out;
  for (const auto& s : kSpellings) {
    if (s.dimension != unit) continue;
    if (!out.empty()) out += ", ";
    out += s.text;
  }
  return out;
}

// Appends instead of `"'" + s + "'"`, which trips GCC 12's -Wrestrict false positive at -O3.
std::string quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

// A JSON value as the user wrote it: strings quoted, numbers as dumped.
std::string shown(const Json& j) {
  return j.is_string() ? quote(j.get<std::string>()) : j.dump();
}

bool is_space(char c) {
  return c == ' ' || c == '\t';
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

bool starts_with_non_finite_word(std::string_view s) {
  if (!s.empty() && (s.front() == '+' || s.front() == '-')) s.remove_prefix(1);
  if (s.size() < 3) return false;
  std::string head(s.substr(0, 3));
  for (char& c : head) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return head == "nan" || head == "inf";
}

// Throws on error; parse_quantity wraps it into a Result.
double parse_quantity_or_throw(std::string_view raw, Unit expected, const std::string& source,
                               const std::string& field) {
  const std::string quoted = quote(raw);
  auto fail = [&](const std::string& message) { throw_input_error(source, field, message); };
  const std::string_view text = trim(raw);
  if (text.empty()) {
    fail(std::string("empty value; expected ") + unit_description(expected) + ", e.g. '" +
         example_of(expected) + "'");
  }
  if (starts_with_non_finite_word(text)) fail(quoted + " is not a finite number");

  // Scan [+-]digits[.digits][(e|E)[+-]digits]; the exponent is kept apart so that a decimal
  // prefix can be added to it before the one rounding step.
  std::size_t i = 0;
  bool negative = false;
  if (text[i] == '+' || text[i] == '-') negative = text[i++] == '-';
  const std::size_t mantissa_begin = i;
  std::size_t digits = 0;
  auto skip_digits = [&] {
    for (; i < text.size() && is_digit(text[i]); ++i) {
      ++digits;
    }
  };
  skip_digits();
  if (i < text.size() && text[i] == '.') {
    ++i;
    skip_digits();
  }
  if (digits == 0) {
    fail(quoted + " does not start with a number; expected " + unit_description(expected) +
         ", e.g. '" + example_of(expected) + "'");
  }
  const std::string_view mantissa = text.substr(mantissa_begin, i - mantissa_begin);
  long exponent = 0;
  if (i + 1 < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    std::size_t j = i + 1;
    bool exponent_negative = false;
    if (text[j] == '+' || text[j] == '-') exponent_negative = text[j++] == '-';
    if (j < text.size() && is_digit(text[j])) {
      while (j < text.size() && is_digit(text[j])) {
        if (exponent < 100000) exponent = exponent * 10 + (text[j] - '0');
        ++j;
      }
      if (exponent_negative) exponent = -exponent;
      i = j;
    }
  }
  const std::string_view unit_text = trim(text.substr(i));

  const UnitSpelling* spelling = nullptr;
  for (const auto& s : kSpellings) {
    if (s.text == unit_text) spelling = &s;
  }
  if (unit_text.empty()) {
    if (expected != Unit::dimensionless) {
      fail(quoted + " has no unit; expected " + unit_description(expected) + ", e.g. '" +
           example_of(expected) + "'");
    }
  } else if (spelling == nullptr) {
    fail("unknown unit " + quote(unit_text) + " in " + quoted + "; " + unit_description(expected) +
         " takes one of: " + spellings_of(expected));
  } else if (spelling->dimension != expected) {
    fail(quoted + " is " + unit_description(spelling->dimension) + ", expected " +
         unit_description(expected) + " (e.g. '" + example_of(expected) + "')");
  }

  const long decimal_exponent = exponent + (spelling ? spelling->decimal_exponent : 0);
  const std::string normalized = std::string(mantissa) + "e" + std::to_string(decimal_exponent);
  double value = 0;
  auto [end, ec] = std::from_chars(normalized.data(), normalized.data() + normalized.size(), value);
  if (ec == std::errc::result_out_of_range && decimal_exponent < 0) {
    value = 0;  // underflow: smaller than any representable quantity
  } else if (ec != std::errc() || end != normalized.data() + normalized.size()) {
    fail(quoted + " is out of range");
  }
  value = std::ldexp(value, spelling ? spelling->binary_exponent : 0);
  if (!std::isfinite(value)) fail(quoted + " is out of range");
  if (negative && value != 0) fail("must not be negative, got " + quoted);
  return value;
}

// A JSON value that is a quantity: a bare SI number or a string with a unit.
double quantity_from_json(const Json& j, Unit expected, const std::string& source,
                          const std::string& pointer) {
  if (j.is_number()) {
    const double v = j.get<double>();
    if (!std::isfinite(v)) throw_input_error(source, pointer, "expected a finite number");
    if (v < 0) throw_input_error(source, pointer, "must not be negative, got " + j.dump());
    return v;
  }
  if (j.is_string()) {
    return parse_quantity_or_throw(j.get<std::string>(), expected, source, pointer);
  }
  throw_input_error(source, pointer,
                    std::string("expected ") + unit_description(expected) +
                        " as a number or a string such as '" + example_of(expected) + "', found " +
                        j.type_name());
}

// Resolves the {"value": ..., "source": "..."} form: returns the value and its pointer.
std::pair<const Json*, std::string> sourced_value(StrictObject& obj, std::string_view key) {
  const Json& j = obj.at(key);
  if (!j.is_object()) return {&j, obj.pointer(key)};
  StrictObject inner(j, obj.source(), obj.pointer(key));
  const Json& value = inner.at("value");
  const std::string provenance = inner.string("source");
  if (provenance.empty()) inner.fail("source", "must not be empty");
  inner.reject_unknown_keys();
  return {&value, inner.pointer("value")};
}

}  // namespace

const char* unit_description(Unit unit) {
  switch (unit) {
    case Unit::bytes:
      return "a size in bytes";
    case Unit::bytes_per_s:
      return "a bandwidth in bytes per second";
    case Unit::flops_per_s:
      return "a compute rate in FLOP/s";
    case Unit::seconds:
      return "a time in seconds";
    case Unit::dimensionless:
      return "a dimensionless number";
  }
  return "";
}

Result<double> parse_quantity(std::string_view text, Unit expected, const std::string& source,
                              const std::string& field) {
  return catch_input_errors([&] { return parse_quantity_or_throw(text, expected, source, field); });
}

double read_quantity(StrictObject& obj, std::string_view key, Unit expected) {
  auto [value, pointer] = sourced_value(obj, key);
  return quantity_from_json(*value, expected, obj.source(), pointer);
}

double read_positive_quantity(StrictObject& obj, std::string_view key, Unit expected) {
  auto [value, pointer] = sourced_value(obj, key);
  const double v = quantity_from_json(*value, expected, obj.source(), pointer);
  if (!(v > 0)) {
    throw_input_error(obj.source(), pointer, "must be greater than zero, got " + shown(*value));
  }
  return v;
}

double read_positive_quantity_or_null(StrictObject& obj, std::string_view key, Unit expected) {
  auto [value, pointer] = sourced_value(obj, key);
  if (value->is_null()) return 0;
  const double v = quantity_from_json(*value, expected, obj.source(), pointer);
  if (!(v > 0)) {
    throw_input_error(obj.source(), pointer,
                      "must be greater than zero (or null if not supported), got " + shown(*value));
  }
  return v;
}

int read_sourced_integer(StrictObject& obj, std::string_view key, int minimum) {
  auto [value, pointer] = sourced_value(obj, key);
  const Json& j = *value;
  bool integral = j.is_number_integer();
  if (j.is_number_float()) {
    const double d = j.get<double>();
    integral = std::isfinite(d) && std::floor(d) == d;
  }
  if (!integral) throw_input_error(obj.source(), pointer, "expected an integer, found " + j.dump());
  const double d = j.get<double>();
  if (d < minimum) {
    throw_input_error(obj.source(), pointer,
                      "must be at least " + std::to_string(minimum) + ", got " + j.dump());
  }
  if (d > 1e9) throw_input_error(obj.source(), pointer, "is implausibly large: " + j.dump());
  return static_cast<int>(d);
}

bool read_sourced_boolean(StrictObject& obj, std::string_view key) {
  auto [value, pointer] = sourced_value(obj, key);
  if (!value->is_boolean()) {
    throw_input_error(obj.source(), pointer,
                      std::string("expected true or false, found ") + value->type_name());
  }
  return value->get<bool>();
}

}  // namespace ptsim
