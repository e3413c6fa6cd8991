#include "calibration/results_io.h"

#include <unistd.h>

#include <filesystem>

namespace ptsim {

namespace {

Json header_json(const char* format, const Provenance& p) {
  Json j;
  j["format"] = format;
  j["format_version"] = kResultsFormatVersion;
  j["provenance"] = provenance_to_json(p);
  return j;
}

// Reads the header object of either format; returns the provenance.
Provenance read_header(const Json& j, const char* expected_format, const std::string& source,
                       const std::string& pointer) {
  StrictObject o(j, source, pointer);
  const std::string format = o.string("format");
  if (format != expected_format) {
    o.fail("format", "expected \"" + std::string(expected_format) + "\", found \"" + format + "\"");
  }
  const std::int64_t version = o.integer("format_version");
  if (version != kResultsFormatVersion) {
    o.fail("format_version", "unsupported version " + std::to_string(version) +
                                 " (this build reads " + std::to_string(kResultsFormatVersion) +
                                 ")");
  }
  auto p = provenance_from_json(o.at("provenance"), source, o.pointer("provenance"));
  if (!p.ok()) throw InputException(p.error());
  return std::move(p).value();
}

struct ParsedLines {
  MeasurementSet set;
  std::size_t good_bytes = 0;  // length of the prefix made of complete, valid lines
  bool torn_tail = false;      // the last line was incomplete and was dropped
};

// Parses checkpoint text. Only the last line may be torn (no newline, or not valid JSON);
// anything wrong before it is an input error naming the line.
ParsedLines parse_checkpoint_text(const std::string& text, const std::string& path) {
  ParsedLines out;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    ++line_no;
    const std::size_t nl = text.find('\n', pos);
    const bool complete = nl != std::string::npos;
    const std::string line = text.substr(pos, complete ? nl - pos : std::string::npos);
    const std::string where = "line " + std::to_string(line_no);
    Json j;
    bool parsed = true;
    try {
      j = Json::parse(line);
    } catch (const Json::parse_error&) {
      parsed = false;
    }
    const bool last = !complete || nl + 1 == text.size();
    if (!complete || !parsed) {
      if (last && line_no > 1) {
        out.torn_tail = true;
        break;
      }
      throw_input_error(path, where, complete ? "not valid JSON" : "incomplete header line");
    }
    if (line_no == 1) {
      out.set.provenance = read_header(j, kCheckpointFormat, path, where);
    } else {
      auto m = measurement_from_json(j, path, where);
      if (!m.ok()) throw InputException(m.error());
      out.set.measurements.push_back(std::move(m).value());
    }
    pos = nl + 1;
    out.good_bytes = pos;
  }
  if (line_no == 0) throw_input_error(path, "", "empty file");
  return out;
}

MeasurementSet parse_results_json(const Json& j, const std::string& path) {
  StrictObject o(j, path, "");
  MeasurementSet set;
  set.provenance = read_header(j, kResultsFormat, path, "");
  o.ignore("format");
  o.ignore("format_version");
  o.ignore("provenance");
  const Json& list = o.at("measurements");
  if (!list.is_array()) o.fail("measurements", "expected an array");
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto m = measurement_from_json(list[i], path, json_pointer_index("/measurements", i));
    if (!m.ok()) throw InputException(m.error());
    set.measurements.push_back(std::move(m).value());
  }
  o.reject_unknown_keys();
  return set;
}

bool starts_like_checkpoint(const std::string& text) {
  const std::size_t nl = text.find('\n');
  try {
    const Json first = Json::parse(text.substr(0, nl));
    return first.is_object() && first.value("format", "") == kCheckpointFormat;
  } catch (const Json::parse_error&) {
    return false;
  }
}

// The settings that change what a time means; a checkpoint taken with others cannot be resumed.
std::string incompatibility(const Provenance& old_p, const Provenance& cur) {
  if (old_p.device.name != cur.device.name) {
    return "device \"" + old_p.device.name + "\" (this run: \"" + cur.device.name + "\")";
  }
  if (old_p.world_ranks != cur.world_ranks) return "world_ranks";
  for (const char* key : {"seed", "iters", "warmup", "repetitions"}) {
    if (old_p.args.value(key, Json()) != cur.args.value(key, Json())) {
      return std::string("--") + key + " " + old_p.args.value(key, Json()).dump();
    }
  }
  return "";
}

}  // namespace

std::string checkpoint_path_for(const std::string& results_path) {
  return results_path + ".partial.jsonl";
}

Result<MeasurementSet> load_measurements(const std::string& path) {
  auto text = read_text_file(path);
  if (!text.ok()) return text.error();
  return catch_input_errors([&]() -> MeasurementSet {
    if (starts_like_checkpoint(*text)) return parse_checkpoint_text(*text, path).set;
    auto j = parse_json(*text, path);
    if (!j.ok()) throw InputException(j.error());
    if (!j->is_object()) throw_input_error(path, "", "expected a results object");
    return parse_results_json(*j, path);
  });
}

std::string results_to_text(const MeasurementSet& set) {
  Json j = header_json(kResultsFormat, set.provenance);
  j["measurements"] = Json::array();
  for (const auto& m : set.measurements)
    j["measurements"].push_back(measurement_to_json(m));
  return j.dump(1) + "\n";
}

Status write_results(const std::string& path, const MeasurementSet& set, Overwrite overwrite) {
  return write_file_atomically(path, results_to_text(set), overwrite, "--results");
}

Result<Checkpoint> Checkpoint::open(const std::string& path, const Provenance& current,
                                    bool discard_existing) {
  Checkpoint cp;
  cp.path_ = path;
  std::error_code ec;
  const bool exists = std::filesystem::exists(path, ec);
  if (exists && !discard_existing) {
    auto text = read_text_file(path);
    if (!text.ok()) return text.error();
    auto parsed = catch_input_errors([&] { return parse_checkpoint_text(*text, path); });
    if (!parsed.ok()) {
      InputError e = parsed.error();
      e.message += " (remove the checkpoint or pass --force to start afresh)";
      return e;
    }
    const std::string why = incompatibility(parsed->set.provenance, current);
    if (!why.empty()) {
      return InputError{path, "",
                        "checkpoint was taken with a different " + why +
                            "; remove it or pass --force to start afresh"};
    }
    if (parsed->torn_tail) std::filesystem::resize_file(path, parsed->good_bytes, ec);
    if (ec) return InputError{path, "", "cannot drop the torn last line: " + ec.message()};
    for (auto& m : parsed->set.measurements) {
      if (cp.keys_.insert(measurement_key(m)).second) cp.measurements_.push_back(std::move(m));
    }
    cp.resumed_ = static_cast<int>(cp.measurements_.size());
    cp.file_.reset(std::fopen(path.c_str(), "ab"));
    if (!cp.file_) return InputError{path, "", "cannot open checkpoint for appending"};
    return cp;
  }
  cp.file_.reset(std::fopen(path.c_str(), "wb"));
  if (!cp.file_) return InputError{path, "", "cannot create checkpoint"};
  const std::string header = header_json(kCheckpointFormat, current).dump() + "\n";
  if (std::fwrite(header.data(), 1, header.size(), cp.file_.get()) != header.size() ||
      std::fflush(cp.file_.get()) != 0) {
    return InputError{path, "", "cannot write checkpoint"};
  }
  return cp;
}

Status Checkpoint::append(const Measurement& m) {
  PTSIM_CHECK(file_ != nullptr, "Checkpoint::append on a closed checkpoint");
  const std::string line = measurement_to_json(m).dump() + "\n";
  if (std::fwrite(line.data(), 1, line.size(), file_.get()) != line.size() ||
      std::fflush(file_.get()) != 0) {
    return InputError{path_, "", "cannot append to checkpoint"};
  }
  ::fsync(::fileno(file_.get()));  // a measurement survives a crash of the machine, too
  if (keys_.insert(measurement_key(m)).second) measurements_.push_back(m);
  return ok_status();
}

void Checkpoint::remove() {
  file_.reset();
  std::error_code ec;
  std::filesystem::remove(path_, ec);
}

}  // namespace ptsim
