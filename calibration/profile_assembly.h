// Turns a set of measurements into a hardware profile the simulator loads: a base ClusterProfile
// (the catalogue entry for this GPU and cluster, which supplies what a calibration cannot measure:
// datasheet peaks, topology, NIC bandwidth, memory overheads) with every table this run measured
// replaced by its fit, the measured SM count and memory size, and a source text that cites the
// run (device, driver, CUDA, NCCL, date) and the fit residuals. Tables the run did not measure
// stay as in the base profile and are listed in the report under "kept_from_base".
//
// The report (a JSON sidecar, `<profile>.report.json`) holds every fit in full: the GEMM tiling
// chosen and per-dtype tables, alpha-beta regimes per collective group, the interference table,
// RMS relative errors per table, and how many measurements were left out for wrong results.
#pragma once

#include <string>

#include "calibration/fit/collective_fit.h"
#include "calibration/fit/compute_fit.h"
#include "calibration/fit/interference_fit.h"
#include "calibration/results_io.h"
#include "common/json_reader.h"
#include "common/result.h"
#include "hardware_profiles/cluster_profile.h"

namespace ptsim {

struct FitOptions {
  std::string profile_name;  // empty: "<base name>-calibrated"
  bool gemm_use_best = false;
  double bin_decades = 0.25;
  int overlap_reference_sms = kOverlapReferenceSms;
};

struct FittedProfile {
  ClusterProfile profile;
  Json report;
};

// Input errors: no usable measurement, or a base profile without the peaks the fit divides by.
Result<FittedProfile> fit_profile(const MeasurementSet& data, const ClusterProfile& base,
                                  const FitOptions& options);

}  // namespace ptsim
