// Strict JSON reading: parse errors name file, line and column; objects are read through
// StrictObject, which rejects missing required keys and unknown keys (Calculon's exact key sets,
// not a silent `contains`) and names every bad field by its JSON pointer.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace ptsim {

using Json = nlohmann::json;

// Parses JSON text. A syntax error becomes InputError{source, "line L, column C", reason}.
Result<Json> parse_json(std::string_view text, const std::string& source);
Result<std::string> read_text_file(const std::string& path);
Result<Json> read_json_file(const std::string& path);

// JSON pointer of `key` under `parent` ("/a" + "b" -> "/a/b"), escaping '~' and '/' per RFC 6901.
std::string json_pointer_child(const std::string& parent, std::string_view key);
std::string json_pointer_index(const std::string& parent, std::size_t index);

// Reads one JSON object. All accessors throw InputException (caught by the loader's public entry
// point via catch_input_errors) naming source and pointer.
class StrictObject {
 public:
  StrictObject(const Json& json, std::string source, std::string pointer);

  bool has(std::string_view key) const;
  const Json& at(std::string_view key);       // required
  const Json* find(std::string_view key);     // optional; nullptr when absent
  StrictObject object(std::string_view key);  // required nested object
  std::string string(std::string_view key);
  std::string string_or(std::string_view key, std::string fallback);
  double number(std::string_view key);           // finite
  double positive_number(std::string_view key);  // finite and > 0
  double number_or(std::string_view key, double fallback);
  std::int64_t integer(std::string_view key);
  std::int64_t positive_integer(std::string_view key);
  std::int64_t integer_or(std::string_view key, std::int64_t fallback);
  bool boolean(std::string_view key);
  bool boolean_or(std::string_view key, bool fallback);
  void ignore(std::string_view key);  // known key whose value is not needed

  // Throws on the first key (in sorted order) that was never read or ignored.
  void reject_unknown_keys() const;

  std::string pointer(std::string_view key) const { return json_pointer_child(pointer_, key); }
  const std::string& pointer() const { return pointer_; }
  const std::string& source() const { return source_; }
  [[noreturn]] void fail(std::string_view key, const std::string& message) const;

 private:
  const Json& json_;
  std::string source_;
  std::string pointer_;
  std::set<std::string, std::less<>> used_;
};

}  // namespace ptsim
