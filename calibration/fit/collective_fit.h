// Fits collective performance from NCCL measurements, in two forms:
//
// * per group (collective, ranks, nodes): alpha-beta per size regime, t = alpha + S * f(n) / B,
//   with f the busbw factor (BUSBW.md), so B is the regime's bus bandwidth. NCCL changes protocol
//   (LL, LL128, Simple) and algorithm with size, each with its own latency and bandwidth
//   (CALIBRATION_NOTES.md section 2), so one line cannot fit all sizes: the sorted sizes are split
//   into at most three contiguous regimes by dynamic programming on the relative squared error,
//   and the fewest regimes within 10 % (+0.2 points) of the three-regime error are kept;
// * per link class, what the profile stores (CollectiveTuning of hardware_profiles/
//   cluster_profile.h), in the terms of the simulator's own cost model
//   (cost_models/collective_cost.h): each measured group is mapped to the algorithm the model
//   uses for it (ring for all-reduce, all-gather and reduce-scatter, pairwise for all-to-all,
//   direct for send/recv, NVLS for all-reduce over more than two GPUs of one NVLink domain when
//   the cluster has NVLink SHARP) and to its link class (NVLink, NVLS, or the network when the
//   group spans NVLink domains). Base and per-step latencies come from regressing each group's
//   small-size latency (its first regime's alpha) on the model's latency coefficients; the
//   efficiency table is tabulated from every point of the class once the model's latency is
//   taken off, against the model's transfer time at 100 % efficiency.
//
// Residuals are the cost model's: each measured point is timed by CollectiveCostModel on the
// fitted profile. Single-rank groups carry no traffic (busbw 0 by construction); their median
// time is reported as NCCL's launch overhead. Validated by
// tests/calibration/collective_fit_test.cc on synthetic measurements with known parameters.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "calibration/collective.h"
#include "calibration/results_io.h"
#include "hardware_profiles/cluster_profile.h"

namespace ptsim {

struct CollectiveRegime {
  double min_bytes = 0;  // smallest and largest S measured in the regime
  double max_bytes = 0;
  double latency_s = 0;                  // alpha
  double bus_bandwidth_bytes_per_s = 0;  // B; 0 when the regime is pure latency
  int points = 0;
  double rms_relative_error = 0;
};

struct CollectiveGroupFit {
  Collective collective = Collective::all_reduce;
  int ranks = 0;
  int nodes = 0;
  std::string link_class;                 // "nvlink", "nvls" or "network"
  std::vector<CollectiveRegime> regimes;  // by increasing size
  int points = 0;
  int excluded = 0;  // wrong results
  double rms_relative_error = 0;
  double peak_busbw_bytes_per_s = 0;
  std::vector<std::array<double, 2>> busbw_by_size;  // [S, measured busbw] by increasing S
};

struct LinkClassFit {
  bool measured = false;
  CollectiveTuning tuning;
  int groups = 0;
  int points = 0;
  double latency_rms_relative_error = 0;  // of the latency model against group latencies
  double rms_relative_error = 0;          // of the cost model against measured times
  bool efficiency_above_one = false;      // e.g. NVLS counted as a ring (BUSBW.md); clamped
};

struct CollectiveFit {
  std::vector<CollectiveGroupFit> groups;  // sorted by (collective, ranks, nodes)
  LinkClassFit nvlink;
  LinkClassFit nvls;
  LinkClassFit network;
  // Every multi-rank point timed with the algorithm the cost model chooses on the fitted profile.
  double simulated_rms_relative_error = 0;
  double single_rank_launch_s = 0;  // median over 1-rank measurements; 0 if none
  int single_rank_points = 0;
};

struct CollectiveFitOptions {
  int max_regimes = 3;
  int min_points_per_regime = 3;
  double bin_decades = 0.25;
  std::string source;
};

// `cluster` supplies bandwidths, topology and NVLS; its tables are not read.
CollectiveFit fit_collectives(const MeasurementSet& data, const ClusterProfile& cluster,
                              const CollectiveFitOptions& options);

// Copies every measured link class's tuning into `cluster`.
void apply_collective_fit(const CollectiveFit& fit, ClusterProfile& cluster);

// Alpha-beta regimes of one group's points (S, t) sorted by S (exposed for tests).
std::vector<CollectiveRegime> fit_regimes(const std::vector<double>& bytes,
                                          const std::vector<double>& times, double busbw_factor,
                                          const CollectiveFitOptions& options);

}  // namespace ptsim
