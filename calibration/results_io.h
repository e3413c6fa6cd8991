// The two files a calibration writes before it fits anything:
//
// * the checkpoint, `<results>.partial.jsonl`: JSON lines, a header line
//   {"format": "ptsim-calibration-checkpoint", "format_version": 1, "provenance": {...}} and one
//   measurement per line, appended and flushed as each point is measured. A run that finds a
//   compatible checkpoint resumes: it skips the points already there. A torn last line (the run
//   was killed while writing it) is dropped;
// * the results file: one JSON document {"format": "ptsim-calibration-results", "format_version",
//   "provenance", "measurements": [...]}, written atomically (common/atomic_file.h) once the run is
//   complete, never over an existing file unless --force.
//
// load_measurements() reads either, so a profile can be fitted from a finished results file or
// from the checkpoint of a run that never finished.
#pragma once

#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "calibration/measurement.h"
#include "calibration/provenance.h"
#include "common/atomic_file.h"
#include "common/result.h"

namespace ptsim {

inline constexpr int kResultsFormatVersion = 1;
inline constexpr const char* kCheckpointFormat = "ptsim-calibration-checkpoint";
inline constexpr const char* kResultsFormat = "ptsim-calibration-results";

struct MeasurementSet {
  Provenance provenance;
  std::vector<Measurement> measurements;  // in the order they were taken

  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& m : measurements) {
      if (const T* x = std::get_if<T>(&m)) out.push_back(*x);
    }
    return out;
  }
};

std::string checkpoint_path_for(const std::string& results_path);

// Reads a results file or a checkpoint (recognised by its first line's "format").
Result<MeasurementSet> load_measurements(const std::string& path);

std::string results_to_text(const MeasurementSet& set);
Status write_results(const std::string& path, const MeasurementSet& set, Overwrite overwrite);

class Checkpoint {
 public:
  // Opens `path` for appending. An existing checkpoint is resumed when it is compatible with
  // `current` (same device, seed, iterations, warm-up and repetitions); otherwise this is an
  // input error asking to remove it, unless `discard_existing` (--force) starts afresh.
  static Result<Checkpoint> open(const std::string& path, const Provenance& current,
                                 bool discard_existing);

  bool has(const std::string& key) const { return keys_.contains(key); }
  Status append(const Measurement& m);
  const std::vector<Measurement>& measurements() const { return measurements_; }
  int resumed() const { return resumed_; }
  const std::string& path() const { return path_; }
  // Removes the file once the results file holds everything.
  void remove();

 private:
  struct FileCloser {
    void operator()(std::FILE* f) const {
      if (f != nullptr) std::fclose(f);
    }
  };
  std::string path_;
  std::unique_ptr<std::FILE, FileCloser> file_;
  std::set<std::string> keys_;
  std::vector<Measurement> measurements_;
  int resumed_ = 0;
};

}  // namespace ptsim
