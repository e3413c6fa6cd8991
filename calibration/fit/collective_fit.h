// Fits collective performance from NCCL measurements, in two forms:
//
// * per group (collective, ranks, nodes): alpha-beta per size regime, t = alpha + S * f(n) / B,
//   with f the busbw factor (BUSBW.md), so B is the regime's bus bandwidth. NCCL changes protocol
//   (LL, LL128, Simple) and algorithm with size, each with its own latency and bandwidth
//   (CALIBRATION_NOTES.md section 2), so one line cannot fit all sizes: the sorted sizes are split
//   into at most three contiguous regimes by dynamic programming on the relative squared error,
//   and the fewest regimes within 10 % (+0.2 points) of the three-regime error are kept;
// * per link class (NVLink inside a node, the network across nodes): what the profile stores
//   (hardware_profiles/cluster_profile.h CollectiveTuning), t = base + steps * step +
//   S * f(n) / (link_bandwidth * eff(S)). base and step come from regressing each group's
//   small-size latency on its step count (collective_steps); eff(S) is tabulated from every
//   point of the class once that latency is taken off.
//
// Single-rank groups carry no traffic (busbw 0 by construction); their median time is reported
// as NCCL's launch overhead. Validated by tests/calibration/collective_fit_test.cc on synthetic
// alpha-beta measurements with known parameters.
#pragma once

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
  std::vector<CollectiveRegime> regimes;  // by increasing size
  int points = 0;
  int excluded = 0;  // wrong results
  double rms_relative_error = 0;
  double peak_busbw_bytes_per_s = 0;
};

struct LinkClassFit {
  bool measured = false;
  double link_bandwidth_bytes_per_s = 0;  // the profile's per-GPU bandwidth the curve scales
  CollectiveTuning tuning;
  int groups = 0;
  int points = 0;
  double latency_rms_relative_error = 0;  // of base + steps * step against group latencies
  double rms_relative_error = 0;          // of predicted against measured times
  bool busbw_exceeds_link = false;        // e.g. NVLS in-switch reduction (BUSBW.md)
};

struct CollectiveFit {
  std::vector<CollectiveGroupFit> groups;  // sorted by (collective, ranks, nodes)
  LinkClassFit nvlink;                     // groups inside one node
  LinkClassFit network;                    // groups spanning nodes
  double single_rank_launch_s = 0;         // median over 1-rank measurements; 0 if none
  int single_rank_points = 0;
};

struct CollectiveFitOptions {
  int max_regimes = 3;
  int min_points_per_regime = 3;
  double bin_decades = 0.25;
  std::string source;
};

CollectiveFit fit_collectives(const MeasurementSet& data, double nvlink_bandwidth_bytes_per_s,
                              double nic_bandwidth_bytes_per_s,
                              const CollectiveFitOptions& options);

// Alpha-beta regimes of one group's points (S, t) sorted by S (exposed for tests).
std::vector<CollectiveRegime> fit_regimes(const std::vector<double>& bytes,
                                          const std::vector<double>& times, double busbw_factor,
                                          const CollectiveFitOptions& options);

}  // namespace ptsim
