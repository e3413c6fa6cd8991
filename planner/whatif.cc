#include "planner/whatif.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "common/json_reader.h"
#include "hardware_profiles/whatif.h"

namespace ptsim {

namespace {

// More points than this is a typo, not a study.
constexpr std::size_t kMaxPoints = 4096;

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

std::string format_number(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// A bandwidth's number and unit text: "400Gb/s" -> (400, "Gb/s").
std::pair<double, std::string> number_and_unit(const std::string& text) {
  std::size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    return {0, ""};
  }
  return {v, trim(text.substr(used))};
}

Result<double> parse_value(const std::string& text, const std::string& flag, SweepKind kind) {
  if (kind == SweepKind::bandwidth) return parse_bandwidth_flag(text, flag);
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (...) {
    used = 0;
  }
  if (used != text.size() || text.empty() || v < 1) {
    return InputError{flag, "", "expected a positive integer, got '" + text + "'"};
  }
  return static_cast<double>(v);
}

}  // namespace

Result<std::vector<std::string>> expand_sweep(const std::string& text, const std::string& flag,
                                              SweepKind kind) {
  std::vector<std::string> out;
  // A value given twice, or a geometric range whose rounding repeats an integer (1:3:x1.1), would
  // plan the same point twice: each value is kept once, where it first appears.
  auto add = [&out](std::string v) {
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(std::move(v));
  };
  const auto parts = split(text, ':');
  if (parts.size() == 1) {
    for (const std::string& raw : split(text, ',')) {
      const std::string v = trim(raw);
      if (v.empty()) return InputError{flag, "", "empty value in '" + text + "'"};
      if (kind != SweepKind::name) {
        auto parsed = parse_value(v, flag, kind);
        if (!parsed) return parsed.error();
      }
      add(v);
    }
    return out;
  }
  if (kind == SweepKind::name || parts.size() != 3) {
    return InputError{flag, "",
                      "use a comma list" +
                          std::string(kind == SweepKind::name ? "" : " or start:stop:step") +
                          ", got '" + text + "'"};
  }
  const std::string start_text = trim(parts[0]), stop_text = trim(parts[1]);
  std::string step = trim(parts[2]);
  auto start = parse_value(start_text, flag, kind);
  if (!start) return start.error();
  auto stop = parse_value(stop_text, flag, kind);
  if (!stop) return stop.error();
  if (*stop < *start)
    return InputError{flag, "", "the range ends before it starts: '" + text + "'"};
  const bool geometric = !step.empty() && step[0] == 'x';
  if (!step.empty() && (step[0] == 'x' || step[0] == '+')) step = step.substr(1);
  double by = 0;
  try {
    std::size_t used = 0;
    by = std::stod(step, &used);
    if (used != step.size()) by = 0;
  } catch (...) {
    by = 0;
  }
  if (geometric ? !(by > 1) : !(by > 0)) {
    return InputError{flag, "",
                      "the step of '" + text + "' must be xF with F > 1 or +S with S > 0"};
  }
  // Bandwidths keep the unit of the start ("Gb/s" stays bits); steps of +S are in that unit.
  const auto [start_number, unit] = number_and_unit(start_text);
  const double scale = kind == SweepKind::bandwidth ? *start / start_number : 1.0;
  if (kind == SweepKind::bandwidth && !geometric) by *= scale;
  for (double v = *start; v <= *stop * (1 + 1e-12); v = geometric ? v * by : v + by) {
    if (out.size() >= kMaxPoints)
      return InputError{flag, "", "more than 4096 values in '" + text + "'"};
    if (kind == SweepKind::integer) {
      add(std::to_string(std::llround(v)));
    } else {
      add(format_number(v / scale) + unit);
    }
  }
  return out;
}

std::vector<SweepPoint> sweep_points(const std::vector<SweepAxis>& axes) {
  std::vector<SweepPoint> points{SweepPoint{}};
  for (const SweepAxis& axis : axes) {
    std::vector<SweepPoint> next;
    for (const SweepPoint& p : points) {
      for (const std::string& v : axis.values) {
        SweepPoint q = p;
        q.push_back(v);
        next.push_back(std::move(q));
      }
    }
    points = std::move(next);
  }
  return points;
}

std::string row_to_json(const WhatIfRow& r) {
  Json j = Json::object();
  j["point"] = r.point;
  j["ok"] = r.ok;
  j["error"] = r.error;
  j["gpus"] = r.gpus;
  j["gpu"] = r.gpu;
  j["layout"] = r.layout;
  j["step_time_s"] = r.step_time_s;
  j["tokens_per_s"] = r.tokens_per_s;
  j["mfu"] = r.mfu;
  j["peak_memory_bytes"] = r.peak_memory_bytes;
  j["time_to_train_s"] = r.time_to_train_s;
  j["gpu_hours"] = r.gpu_hours;
  return j.dump();
}

Result<WhatIfRow> row_from_json(const std::string& text) {
  auto parsed = parse_json(text, "whatif row");
  if (!parsed) return parsed.error();
  const Json& j = *parsed;
  WhatIfRow r;
  try {
    r.point = j.at("point").get<std::vector<std::string>>();
    r.ok = j.at("ok").get<bool>();
    r.error = j.at("error").get<std::string>();
    r.gpus = j.at("gpus").get<int>();
    r.gpu = j.at("gpu").get<std::string>();
    r.layout = j.at("layout").get<std::string>();
    r.step_time_s = j.at("step_time_s").get<double>();
    r.tokens_per_s = j.at("tokens_per_s").get<double>();
    r.mfu = j.at("mfu").get<double>();
    r.peak_memory_bytes = j.at("peak_memory_bytes").get<double>();
    r.time_to_train_s = j.at("time_to_train_s").get<double>();
    r.gpu_hours = j.at("gpu_hours").get<double>();
  } catch (const std::exception& e) {
    return InputError{"whatif row", "", e.what()};
  }
  return r;
}

namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

bool swept(const std::vector<SweepAxis>& axes, const char* flag) {
  for (const auto& a : axes) {
    if (a.flag == flag) return true;
  }
  return false;
}

}  // namespace

Table whatif_table(const std::vector<SweepAxis>& axes, const std::vector<WhatIfRow>& rows,
                   double token_budget) {
  (void)token_budget;
  Table t;
  for (const auto& a : axes) {
    t.header.push_back(a.flag.substr(a.flag.find_first_not_of('-')));
    t.units.push_back("");
  }
  const bool gpus_column = !swept(axes, "--gpus");
  if (gpus_column) {
    t.header.push_back("gpus");
    t.units.push_back("");
  }
  for (const auto& [h, u] :
       std::vector<std::pair<const char*, const char*>>{{"layout", ""},
                                                        {"step", "s"},
                                                        {"tokens/s", "tok/s"},
                                                        {"MFU", "%"},
                                                        {"memory", "GiB"},
                                                        {"time_to_train", "days"},
                                                        {"gpu_hours", "h"}}) {
    t.header.push_back(h);
    t.units.push_back(u);
  }
  for (const WhatIfRow& r : rows) {
    std::vector<std::string> cells = r.point;
    if (gpus_column) cells.push_back(std::to_string(r.gpus));
    if (!r.ok) {
      cells.push_back("no plan: " + r.error);
      for (int i = 0; i < 6; ++i)
        cells.push_back("-");
    } else {
      cells.push_back(r.layout);
      cells.push_back(fmt("%.3f", r.step_time_s));
      cells.push_back(fmt("%.0f", r.tokens_per_s));
      cells.push_back(fmt("%.1f", r.mfu * 100));
      cells.push_back(fmt("%.1f", r.peak_memory_bytes / (1024.0 * 1024.0 * 1024.0)));
      cells.push_back(fmt("%.2f", r.time_to_train_s / 86400));
      cells.push_back(fmt("%.0f", r.gpu_hours));
    }
    t.rows.push_back(std::move(cells));
  }
  return t;
}

PlotSpec whatif_plot(const std::vector<SweepAxis>& axes, const std::vector<WhatIfRow>& rows,
                     const std::string& model, double token_budget) {
  PlotSpec spec;
  spec.title = model + ": time to train " + fmt("%.3g", token_budget) + " tokens";
  spec.x_label = "GPUs";
  spec.y_label = "time to train (days)";
  spec.log_x = true;
  spec.log_y = true;
  std::map<std::string, std::size_t> series_of;  // name -> index, in first-seen order below
  for (const WhatIfRow& r : rows) {
    std::string name;
    for (std::size_t i = 0; i < axes.size(); ++i) {
      if (axes[i].flag == "--gpus") continue;
      if (!name.empty()) name += ", ";
      name += axes[i].flag.substr(axes[i].flag.find_first_not_of('-')) + " " + r.point[i];
    }
    if (name.empty()) name = r.gpu;
    auto [it, fresh] = series_of.try_emplace(name, spec.series.size());
    if (fresh) spec.series.push_back(PlotSeries{name, {}});
    if (r.ok) spec.series[it->second].points.emplace_back(r.gpus, r.time_to_train_s / 86400);
  }
  return spec;
}

}  // namespace ptsim
