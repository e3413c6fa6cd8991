// The JSON Schemas in hardware_profiles/schema/ agree with the shipped files and with the loader:
// shipped files and loader output validate; every schema property occurs in them; every key of a
// shipped file is required by the loader and no other key is accepted.
//
// The validator below implements the subset of JSON Schema 2020-12 the two schemas use ($ref,
// oneOf, const, enum, type, properties, required, additionalProperties, items, prefixItems,
// minItems, maxItems, minLength, pattern, minimum, maximum, exclusiveMinimum, exclusiveMaximum)
// and fails on any other keyword, so a schema edit cannot silently escape the test.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>
#include <set>

// GCC 12's libstdc++ <regex> trips -Wmaybe-uninitialized inside its own NFA code under
// -O1 -fsanitize=address (a known false positive); the pattern check needs ECMAScript regexes.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop

#include "hardware_profiles/catalogue.h"
#include "hardware_profiles/profile_loader.h"
#include "tests/profiles/shipped_files.h"

namespace ptsim {
namespace {

using testing::profiles_dir;
using testing::shipped_json;

class SchemaValidator {
 public:
  SchemaValidator() {
    for (const char* name : {"gpu.schema.json", "cluster.schema.json"}) {
      const auto path = profiles_dir() / "schema" / name;
      auto j = parse_json(testing::read_text(path), path.string());
      EXPECT_TRUE(j.ok()) << (j.ok() ? "" : j.error().one_line());
      docs_[name] = j.ok() ? *j : Json::object();
    }
  }

  // Errors of `instance` against document `doc` ("" if valid).
  std::string validate(const Json& instance, const std::string& doc) {
    std::vector<std::string> errors;
    check(instance, doc, "", "", errors, true);
    std::string out;
    for (const auto& e : errors)
      out += e + "\n";
    return out;
  }

  // Object-schema nodes that checked at least one instance: node -> declared properties, and
  // node -> properties that occurred.
  const std::map<std::string, std::set<std::string>>& declared() const { return declared_; }
  const std::map<std::string, std::set<std::string>>& seen() const { return seen_; }
  const std::map<std::string, Json>& docs() const { return docs_; }

 private:
  static bool type_matches(const Json& i, const std::string& type) {
    if (type == "object") return i.is_object();
    if (type == "array") return i.is_array();
    if (type == "string") return i.is_string();
    if (type == "number") return i.is_number();
    if (type == "integer") {
      return i.is_number_integer() ||
             (i.is_number_float() && std::floor(i.get<double>()) == i.get<double>());
    }
    if (type == "boolean") return i.is_boolean();
    if (type == "null") return i.is_null();
    ADD_FAILURE() << "unsupported type " << type;
    return false;
  }

  void check(const Json& i, const std::string& doc, const std::string& at, const std::string& ip,
             std::vector<std::string>& errors, bool record) {
    const Json& s = docs_.at(doc).at(Json::json_pointer(at));
    const std::string id = doc + "#" + at;
    auto fail = [&](const std::string& what) {
      errors.push_back(ip + ": " + what + " (" + id + ")");
    };
    static const std::set<std::string> known = {"$schema",
                                                "$id",
                                                "title",
                                                "description",
                                                "$defs",
                                                "$ref",
                                                "oneOf",
                                                "const",
                                                "enum",
                                                "type",
                                                "properties",
                                                "required",
                                                "additionalProperties",
                                                "items",
                                                "prefixItems",
                                                "minItems",
                                                "maxItems",
                                                "minLength",
                                                "pattern",
                                                "minimum",
                                                "maximum",
                                                "exclusiveMinimum",
                                                "exclusiveMaximum"};
    for (auto it = s.begin(); it != s.end(); ++it) {
      if (!known.contains(it.key())) ADD_FAILURE() << id << ": unsupported keyword " << it.key();
    }
    if (s.contains("$ref")) {
      const std::string ref = s["$ref"];
      const auto hash = ref.find('#');
      const std::string target_doc = hash == 0 ? doc : ref.substr(0, hash);
      const std::string target = hash == std::string::npos ? "" : ref.substr(hash + 1);
      check(i, target_doc, target, ip, errors, record);
    }
    if (s.contains("oneOf")) {
      int matches = 0;
      std::size_t match = 0;
      for (std::size_t b = 0; b < s["oneOf"].size(); ++b) {
        std::vector<std::string> trial;
        check(i, doc, at + "/oneOf/" + std::to_string(b), ip, trial, false);
        if (trial.empty()) ++matches, match = b;
      }
      if (matches != 1) {
        fail("matches " + std::to_string(matches) + " oneOf branches");
      } else if (record) {
        check(i, doc, at + "/oneOf/" + std::to_string(match), ip, errors, true);
      }
    }
    if (s.contains("const") && i != s["const"]) fail("is not " + s["const"].dump());
    if (s.contains("enum")) {
      bool any = false;
      for (const auto& e : s["enum"])
        any = any || e == i;
      if (!any) fail("is not one of " + s["enum"].dump());
    }
    if (s.contains("type") && !type_matches(i, s["type"])) {
      fail("is not of type " + s["type"].get<std::string>());
      return;
    }
    if (i.is_string()) {
      const std::string v = i.get<std::string>();
      if (s.contains("minLength") && v.size() < s["minLength"].get<std::size_t>())
        fail("too short");
      if (s.contains("pattern") &&
          !std::regex_search(v, std::regex(s["pattern"].get<std::string>()))) {
        fail("'" + v + "' does not match the pattern");
      }
    }
    if (i.is_number()) {
      const double v = i.get<double>();
      if (s.contains("minimum") && v < s["minimum"].get<double>()) fail("below minimum");
      if (s.contains("maximum") && v > s["maximum"].get<double>()) fail("above maximum");
      if (s.contains("exclusiveMinimum") && v <= s["exclusiveMinimum"].get<double>()) {
        fail("not above exclusiveMinimum");
      }
      if (s.contains("exclusiveMaximum") && v >= s["exclusiveMaximum"].get<double>()) {
        fail("not below exclusiveMaximum");
      }
    }
    if (i.is_array()) {
      if (s.contains("minItems") && i.size() < s["minItems"].get<std::size_t>())
        fail("too few items");
      if (s.contains("maxItems") && i.size() > s["maxItems"].get<std::size_t>())
        fail("too many items");
      std::size_t first_item = 0;
      if (s.contains("prefixItems")) {
        first_item = s["prefixItems"].size();
        for (std::size_t k = 0; k < std::min(first_item, i.size()); ++k) {
          check(i[k], doc, at + "/prefixItems/" + std::to_string(k), json_pointer_index(ip, k),
                errors, record);
        }
      }
      if (s.contains("items")) {
        for (std::size_t k = first_item; k < i.size(); ++k) {
          check(i[k], doc, at + "/items", json_pointer_index(ip, k), errors, record);
        }
      }
    }
    if (i.is_object() && s.contains("properties")) {
      const Json& props = s["properties"];
      if (record) {
        auto& declared = declared_[id];
        for (auto it = props.begin(); it != props.end(); ++it)
          declared.insert(it.key());
      }
      for (auto it = i.begin(); it != i.end(); ++it) {
        if (props.contains(it.key())) {
          if (record) seen_[id].insert(it.key());
          check(*it, doc, at + "/properties/" + it.key(), json_pointer_child(ip, it.key()), errors,
                record);
        } else if (s.value("additionalProperties", true) == false) {
          fail("unknown key " + it.key());
        }
      }
      for (const auto& r : s.value("required", Json::array())) {
        if (!i.contains(r.get<std::string>())) fail("missing " + r.get<std::string>());
      }
    }
  }

  std::map<std::string, Json> docs_;
  std::map<std::string, std::set<std::string>> declared_;
  std::map<std::string, std::set<std::string>> seen_;
};

TEST(UnitSchema, ShippedProfilesAndLoaderOutputValidateAndCoverEverySchemaProperty) {
  SchemaValidator v;
  for (const auto& name : gpu_names()) {
    EXPECT_EQ(v.validate(shipped_json("gpus", name), "gpu.schema.json"), "") << name;
    EXPECT_EQ(v.validate(gpu_profile_to_json(load_gpu(name).value()), "gpu.schema.json"), "")
        << name << " (loader output)";
  }
  for (const auto& name : cluster_names()) {
    EXPECT_EQ(v.validate(shipped_json("clusters", name), "cluster.schema.json"), "") << name;
    EXPECT_EQ(
        v.validate(cluster_profile_to_json(load_cluster(name).value()), "cluster.schema.json"), "")
        << name << " (loader output)";
  }
  // Every property a schema declares occurs somewhere: the schema lists no key the files and the
  // loader do not use.
  ASSERT_FALSE(v.declared().empty());
  for (const auto& [node, declared] : v.declared()) {
    const auto seen = v.seen().count(node) ? v.seen().at(node) : std::set<std::string>();
    for (const auto& key : declared) {
      // Per-dtype GEMM tables are optional, one key per dtype: the shipped files carry fp8 only.
      if (node.ends_with("/gemm_by_dtype") && key != "fp8") continue;
      EXPECT_TRUE(seen.contains(key)) << node << " declares '" << key << "', used nowhere";
    }
  }
}

TEST(UnitSchema, TheValidatorRejectsWhatTheLoaderRejects) {
  // Guards the test above against a vacuous validator.
  SchemaValidator v;
  Json unknown = shipped_json("gpus", "h100-sxm");
  unknown["hbm_bandwith"] = 1;
  EXPECT_NE(v.validate(unknown, "gpu.schema.json"), "");
  Json missing = shipped_json("gpus", "h100-sxm");
  missing.erase("sm_count");
  EXPECT_NE(v.validate(missing, "gpu.schema.json"), "");
  Json bad_unit = shipped_json("gpus", "h100-sxm");
  bad_unit["hbm_capacity"]["value"] = "400 Gb/s";
  EXPECT_NE(v.validate(bad_unit, "gpu.schema.json"), "");
  Json above_one = shipped_json("clusters", "dgx-h100");
  above_one["collectives"]["nvlink"]["bus_bandwidth_efficiency"]["points"][0][1] = 1.5;
  EXPECT_NE(v.validate(above_one, "cluster.schema.json"), "");
}

TEST(UnitSchema, RequiredListsNameEveryPropertyButTheConditionalNvlsTuning) {
  // The loader requires every key (collectives.nvls exactly when topology.nvls is true) but the
  // optional per-dtype GEMM tables; the schemas must say the same.
  const SchemaValidator validator;
  for (const auto& [name, doc] : validator.docs()) {
    std::function<void(const Json&, const std::string&)> walk = [&](const Json& s,
                                                                    const std::string& ptr) {
      if (s.is_object() && s.contains("properties")) {
        std::set<std::string> props, required;
        for (auto it = s["properties"].begin(); it != s["properties"].end(); ++it) {
          props.insert(it.key());
        }
        for (const auto& r : s.value("required", Json::array()))
          required.insert(r);
        if (ptr == "/properties/collectives") props.erase("nvls");
        if (ptr == "/properties/efficiency") props.erase("gemm_by_dtype");
        if (ptr.ends_with("/gemm_by_dtype")) props.clear();  // each dtype's table is optional
        EXPECT_EQ(required, props) << name << "#" << ptr;
        EXPECT_EQ(s.value("additionalProperties", true), false) << name << "#" << ptr;
      }
      if (s.is_object()) {
        for (auto it = s.begin(); it != s.end(); ++it)
          walk(*it, json_pointer_child(ptr, it.key()));
      } else if (s.is_array()) {
        for (std::size_t k = 0; k < s.size(); ++k)
          walk(s[k], json_pointer_index(ptr, k));
      }
    };
    walk(doc, "");
  }
}

// Every object pointer of a JSON document (objects inside arrays are not part of the format).
void object_pointers(const Json& j, const std::string& ptr, std::vector<std::string>& out) {
  if (!j.is_object()) return;
  out.push_back(ptr);
  for (auto it = j.begin(); it != j.end(); ++it) {
    object_pointers(*it, json_pointer_child(ptr, it.key()), out);
  }
}

std::string load_error(const Json& j, bool is_gpu) {
  if (is_gpu) {
    auto r = parse_gpu_profile(j, "f.json");
    return r.ok() ? "" : r.error().field + ": " + r.error().message;
  }
  auto r = parse_cluster_profile(j, "f.json");
  return r.ok() ? "" : r.error().field + ": " + r.error().message;
}

void expect_loader_key_sets_match(const Json& file, bool is_gpu, const std::string& name) {
  std::vector<std::string> objects;
  object_pointers(file, "", objects);
  for (const auto& ptr : objects) {
    const Json& obj = ptr.empty() ? file : file[Json::json_pointer(ptr)];
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      Json broken = file;
      Json& parent = ptr.empty() ? broken : broken[Json::json_pointer(ptr)];
      parent.erase(it.key());
      const std::string key_ptr = json_pointer_child(ptr, it.key());
      if (ptr.ends_with("/gemm_by_dtype") || key_ptr.ends_with("/gemm_by_dtype")) {
        // Optional: without a dtype's own table its GEMMs use the general one.
        EXPECT_EQ(load_error(broken, is_gpu), "") << name << ": removing " << key_ptr;
        continue;
      }
      EXPECT_EQ(load_error(broken, is_gpu).rfind(key_ptr + ": missing required key", 0), 0u)
          << name << ": removing " << key_ptr << " gave '" << load_error(broken, is_gpu) << "'";
    }
    Json extra = file;
    (ptr.empty() ? extra : extra[Json::json_pointer(ptr)])["zz_extra"] = 1;
    EXPECT_EQ(load_error(extra, is_gpu), json_pointer_child(ptr, "zz_extra") + ": unknown key")
        << name;
  }
}

TEST(UnitSchema, TheLoaderRequiresEveryKeyOfAShippedFileAndAcceptsNoOther) {
  for (const auto& name : gpu_names()) {
    expect_loader_key_sets_match(shipped_json("gpus", name), true, name);
  }
  for (const auto& name : cluster_names()) {
    expect_loader_key_sets_match(shipped_json("clusters", name), false, name);
  }
}

}  // namespace
}  // namespace ptsim
