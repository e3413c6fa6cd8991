#include "hardware_profiles/profile_fields.h"

#include <array>
#include <cmath>

#include "common/result.h"

namespace ptsim {

namespace {

constexpr std::array<std::string_view, 3> kProvenanceKinds = {"datasheet", "published",
                                                              "calibrated"};

std::string known_kinds() {
  std::string out;
  for (auto kind : kProvenanceKinds) {
    if (!out.empty()) out += ", ";
    out += kind;
  }
  return out;
}

}  // namespace

void read_schema_version(StrictObject& obj) {
  const Json& j = obj.at("schema_version");
  if (!j.is_number_integer() || j.get<std::int64_t>() != kProfileSchemaVersion) {
    obj.fail("schema_version", "unsupported schema_version " + j.dump() +
                                   "; this build reads version " +
                                   std::to_string(kProfileSchemaVersion));
  }
}

std::string read_profile_name(StrictObject& obj) {
  std::string name = obj.string("name");
  if (name.empty()) obj.fail("name", "must not be empty");
  return name;
}

std::string read_provenance(StrictObject& obj) {
  StrictObject source = obj.object("source");
  const std::string kind = source.string("kind");
  bool known = false;
  for (auto k : kProvenanceKinds)
    known = known || kind == k;
  if (!known) source.fail("kind", "unknown kind '" + kind + "'; known: " + known_kinds());
  const std::string detail = source.string("detail");
  if (detail.empty()) source.fail("detail", "must not be empty");
  source.reject_unknown_keys();
  return kind + ": " + detail;
}

Json provenance_to_json(const std::string& source) {
  for (auto kind : kProvenanceKinds) {
    const std::string prefix = std::string(kind) + ": ";
    if (source.rfind(prefix, 0) == 0 && source.size() > prefix.size()) {
      return Json{{"kind", kind}, {"detail", source.substr(prefix.size())}};
    }
  }
  return Json{{"kind", "calibrated"}, {"detail", source.empty() ? "unknown" : source}};
}

EfficiencyCurve read_efficiency_curve(StrictObject& obj, std::string_view key) {
  StrictObject table = obj.object(key);
  EfficiencyCurve curve;
  const Json& points = table.at("points");
  const std::string points_pointer = table.pointer("points");
  const std::string& source = obj.source();
  if (!points.is_array()) {
    throw_input_error(
        source, points_pointer,
        std::string("expected an array of [x, efficiency] pairs, found ") + points.type_name());
  }
  if (points.empty()) {
    throw_input_error(source, points_pointer, "must hold at least one [x, efficiency] point");
  }
  for (std::size_t i = 0; i < points.size(); ++i) {
    const Json& p = points[i];
    const std::string p_pointer = json_pointer_index(points_pointer, i);
    if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) {
      throw_input_error(source, p_pointer,
                        "expected [x, efficiency] (two numbers), found " + p.dump());
    }
    const double x = p[0].get<double>();
    const double y = p[1].get<double>();
    if (!std::isfinite(x) || !(x > 0)) {
      throw_input_error(source, json_pointer_index(p_pointer, 0),
                        "x must be greater than zero, got " + p[0].dump());
    }
    if (!curve.points.empty() && !(x > curve.points.back()[0])) {
      throw_input_error(source, json_pointer_index(p_pointer, 0),
                        "x must be strictly increasing, got " + p[0].dump() + " after " +
                            points[i - 1][0].dump());
    }
    if (!std::isfinite(y) || !(y > 0) || y > 1) {
      throw_input_error(source, json_pointer_index(p_pointer, 1),
                        "efficiency must be in (0, 1], got " + p[1].dump());
    }
    curve.points.push_back({x, y});
  }
  curve.source = table.string("source");
  if (curve.source.empty()) table.fail("source", "must not be empty");
  table.reject_unknown_keys();
  return curve;
}

Json efficiency_curve_to_json(const EfficiencyCurve& curve) {
  Json points = Json::array();
  for (const auto& p : curve.points)
    points.push_back(Json::array({p[0], p[1]}));
  return Json{{"points", points}, {"source", curve.source}};
}

}  // namespace ptsim
