#include "tests/simulator/golden.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "common/atomic_file.h"

namespace ptsim::testing {

std::string golden_path(std::string_view name) {
  return std::string(PTSIM_SOURCE_DIR) + "/tests/data/golden/" + std::string(name);
}

bool update_golden_requested() {
  const char* v = std::getenv("UPDATE_GOLDEN");
  return v != nullptr && std::string_view(v) == "1";
}

std::string write_golden(std::string_view name, const std::string& content) {
  auto s = write_file_atomically(golden_path(name), content, Overwrite::allow);
  return s.ok() ? std::string() : s.error().one_line();
}

namespace {

const FieldTolerance* tolerance_for(const std::string& pointer,
                                    const std::vector<FieldTolerance>& tolerances) {
  const FieldTolerance* best = nullptr;
  for (const FieldTolerance& t : tolerances) {
    const bool matches =
        pointer.compare(0, t.pointer_prefix.size(), t.pointer_prefix) == 0 &&
        (pointer.size() == t.pointer_prefix.size() || pointer[t.pointer_prefix.size()] == '/');
    if (matches && (best == nullptr || t.pointer_prefix.size() > best->pointer_prefix.size())) {
      best = &t;
    }
  }
  return best;
}

std::string shown(const Json& j) {
  std::string s = j.dump();
  return s.size() > 80 ? s.substr(0, 77) + "..." : s;
}

void compare(const Json& golden, const Json& actual, const std::string& pointer,
             const std::vector<FieldTolerance>& tolerances, std::vector<std::string>& out) {
  const std::string where = pointer.empty() ? "/" : pointer;
  if (golden.is_number() && actual.is_number()) {
    const double g = golden.get<double>();
    const double a = actual.get<double>();
    const FieldTolerance* t = tolerance_for(pointer, tolerances);
    const double allowed = t ? t->absolute + t->relative * std::abs(g) : 0.0;
    if (!(std::abs(a - g) <= allowed)) {
      std::ostringstream s;
      s.precision(17);
      s << where << ": golden " << g << ", now " << a << " (difference " << a - g << ", allowed "
        << allowed << (t ? ": " + t->why : std::string(": exact")) << ")";
      out.push_back(s.str());
    }
    return;
  }
  if (golden.type() != actual.type()) {
    out.push_back(where + ": golden " + shown(golden) + ", now " + shown(actual) +
                  " (different JSON types)");
    return;
  }
  if (golden.is_object()) {
    for (auto it = golden.begin(); it != golden.end(); ++it) {
      const std::string child = json_pointer_child(pointer, it.key());
      if (!actual.contains(it.key())) {
        out.push_back(child + ": in the golden file, missing now");
      } else {
        compare(it.value(), actual.at(it.key()), child, tolerances, out);
      }
    }
    for (auto it = actual.begin(); it != actual.end(); ++it) {
      if (!golden.contains(it.key())) {
        out.push_back(json_pointer_child(pointer, it.key()) + ": new field " + shown(it.value()) +
                      ", not in the golden file");
      }
    }
    return;
  }
  if (golden.is_array()) {
    if (golden.size() != actual.size()) {
      out.push_back(where + ": golden has " + std::to_string(golden.size()) + " entries, now " +
                    std::to_string(actual.size()));
      return;
    }
    for (std::size_t i = 0; i < golden.size(); ++i)
      compare(golden[i], actual[i], json_pointer_index(pointer, i), tolerances, out);
    return;
  }
  if (golden != actual)
    out.push_back(where + ": golden " + shown(golden) + ", now " + shown(actual));
}

}  // namespace

std::vector<std::string> compare_json(const Json& golden, const Json& actual,
                                      const std::vector<FieldTolerance>& tolerances) {
  std::vector<std::string> out;
  compare(golden, actual, "", tolerances, out);
  return out;
}

}  // namespace ptsim::testing
