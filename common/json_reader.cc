#include "common/json_reader.h"

#include <cmath>
#include <fstream>
#include <sstream>

namespace ptsim {

namespace {

// nlohmann reports a byte offset; users want line and column (1-based).
std::pair<std::size_t, std::size_t> line_and_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

std::string describe_type(const Json& j) {
  return std::string(j.type_name());
}

}  // namespace

Result<Json> parse_json(std::string_view text, const std::string& source) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // e.byte is one past the offending character.
    const std::size_t offset = e.byte > 0 ? e.byte - 1 : 0;
    auto [line, column] = line_and_column(text, offset);
    std::string reason = e.what();
    // Keep nlohmann's reason but drop its "[json.exception.parse_error.101] parse error at ..."
    // prefix, which repeats the position in bytes.
    if (auto pos = reason.find(": syntax error"); pos != std::string::npos) {
      reason = reason.substr(pos + 2);
    }
    return InputError{source, "line " + std::to_string(line) + ", column " + std::to_string(column),
                      "malformed JSON: " + reason};
  }
}

Result<std::string> read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InputError{path, "", "cannot open file"};
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return InputError{path, "", "cannot read file"};
  return ss.str();
}

Result<Json> read_json_file(const std::string& path) {
  auto text = read_text_file(path);
  if (!text) return text.error();
  return parse_json(*text, path);
}

std::string json_pointer_child(const std::string& parent, std::string_view key) {
  std::string out = parent + "/";
  for (char c : key) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

std::string json_pointer_index(const std::string& parent, std::size_t index) {
  return parent + "/" + std::to_string(index);
}

StrictObject::StrictObject(const Json& json, std::string source, std::string pointer)
    : json_(json), source_(std::move(source)), pointer_(std::move(pointer)) {
  if (!json_.is_object()) {
    throw_input_error(source_, pointer_.empty() ? "/" : pointer_,
                      "expected a JSON object, found " + describe_type(json_));
  }
}

bool StrictObject::has(std::string_view key) const {
  return json_.find(std::string(key)) != json_.end();
}

void StrictObject::fail(std::string_view key, const std::string& message) const {
  throw_input_error(source_, pointer(key), message);
}

const Json& StrictObject::at(std::string_view key) {
  auto it = json_.find(std::string(key));
  if (it == json_.end()) fail(key, "missing required key");
  used_.emplace(key);
  return *it;
}

const Json* StrictObject::find(std::string_view key) {
  auto it = json_.find(std::string(key));
  if (it == json_.end()) return nullptr;
  used_.emplace(key);
  return &*it;
}

StrictObject StrictObject::object(std::string_view key) {
  return StrictObject(at(key), source_, pointer(key));
}

std::string StrictObject::string(std::string_view key) {
  const Json& j = at(key);
  if (!j.is_string()) fail(key, "expected a string, found " + describe_type(j));
  return j.get<std::string>();
}

std::string StrictObject::string_or(std::string_view key, std::string fallback) {
  return has(key) ? string(key) : fallback;
}

double StrictObject::number(std::string_view key) {
  const Json& j = at(key);
  if (!j.is_number()) fail(key, "expected a number, found " + describe_type(j));
  const double v = j.get<double>();
  if (!std::isfinite(v)) fail(key, "expected a finite number");
  return v;
}

double StrictObject::positive_number(std::string_view key) {
  const double v = number(key);
  if (!(v > 0)) fail(key, "must be greater than zero, got " + json_.at(std::string(key)).dump());
  return v;
}

double StrictObject::number_or(std::string_view key, double fallback) {
  return has(key) ? number(key) : fallback;
}

std::int64_t StrictObject::integer(std::string_view key) {
  const Json& j = at(key);
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_number_float()) {
    const double v = j.get<double>();
    if (std::isfinite(v) && std::floor(v) == v && std::fabs(v) < 9e15) {
      return static_cast<std::int64_t>(v);
    }
  }
  fail(key, "expected an integer, found " + j.dump());
}

std::int64_t StrictObject::positive_integer(std::string_view key) {
  const std::int64_t v = integer(key);
  if (v <= 0) fail(key, "must be a positive integer, got " + std::to_string(v));
  return v;
}

std::int64_t StrictObject::integer_or(std::string_view key, std::int64_t fallback) {
  return has(key) ? integer(key) : fallback;
}

bool StrictObject::boolean(std::string_view key) {
  const Json& j = at(key);
  if (!j.is_boolean()) fail(key, "expected true or false, found " + describe_type(j));
  return j.get<bool>();
}

bool StrictObject::boolean_or(std::string_view key, bool fallback) {
  return has(key) ? boolean(key) : fallback;
}

void StrictObject::ignore(std::string_view key) {
  used_.emplace(key);
}

void StrictObject::reject_unknown_keys() const {
  // nlohmann::json objects iterate in sorted key order, so the first unknown key is deterministic.
  for (auto it = json_.begin(); it != json_.end(); ++it) {
    if (used_.find(it.key()) == used_.end()) {
      throw_input_error(source_, pointer(it.key()), "unknown key");
    }
  }
}

}  // namespace ptsim
