// Writes the synthetic measurement files of tests/calibration/data/ from the closed forms of
// synthetic_data.h. Run on purpose, and review the diff:
//   build/bin/make_synthetic_calibration_data tests/calibration/data
#include <cstdio>
#include <string>

#include "calibration/measurement.h"
#include "calibration/results_io.h"
#include "common/atomic_file.h"
#include "tests/calibration/synthetic_data.h"

namespace {

std::string as_jsonl(const ptsim::MeasurementSet& set) {
  ptsim::Json header;
  header["format"] = ptsim::kCheckpointFormat;
  header["format_version"] = ptsim::kResultsFormatVersion;
  header["provenance"] = ptsim::provenance_to_json(set.provenance);
  std::string out = header.dump() + "\n";
  for (const auto& m : set.measurements)
    out += ptsim::measurement_to_json(m).dump() + "\n";
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_synthetic_calibration_data DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const struct {
    const char* file;
    ptsim::MeasurementSet set;
  } outputs[] = {{"synthetic_compute.jsonl", ptsim::synthetic::compute_set()},
                 {"synthetic_collectives.jsonl", ptsim::synthetic::collective_set()},
                 {"synthetic_interference.jsonl", ptsim::synthetic::interference_set()}};
  for (const auto& o : outputs) {
    const std::string path = dir + "/" + o.file;
    if (auto s = ptsim::write_file_atomically(path, as_jsonl(o.set)); !s.ok()) {
      std::fprintf(stderr, "%s\n", s.error().one_line().c_str());
      return 2;
    }
    std::printf("wrote %s (%zu measurements)\n", path.c_str(), o.set.measurements.size());
  }
  return 0;
}
