// Fits the slowdown of compute while communication runs beside it: GEMM time with a
// bandwidth-bound kernel holding k SMs (as NCCL's kernels hold one SM per channel) over the GEMM's
// time alone, minus one. The profile stores one number (ComputeEfficiency::comm_overlap_slowdown),
// the slowdown interpolated at a reference SM count; the report keeps the whole table.
//
// The reference is 16 SMs: NCCL runs one CTA per channel, and 16 to 32 channels is what it
// typically uses for NVLink collectives on 8 H100s (CALIBRATION_NOTES.md section 7.6 suggests
// sweeping 16-32 of 132 SMs) - an assumption to revisit with NCCL_DEBUG=TUNING logs from the
// target cluster. Validated by tests/calibration/interference_fit_test.cc.
#pragma once

#include <utility>
#include <vector>

#include "calibration/results_io.h"

namespace ptsim {

inline constexpr int kOverlapReferenceSms = 16;

struct InterferenceFit {
  bool measured = false;
  std::vector<std::pair<int, double>> slowdown_by_sms;  // median slowdown per held SM count
  int reference_sms = kOverlapReferenceSms;
  double slowdown_at_reference = 0;  // linear interpolation in SM count, clamped at the ends
  int points = 0;
  int excluded = 0;
};

InterferenceFit fit_interference(const MeasurementSet& data, int reference_sms);

}  // namespace ptsim
