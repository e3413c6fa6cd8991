// What-if studies: sweeps of the cluster and workload flags (--gpus, --gpu, --nic-bandwidth,
// --nvlink-bandwidth, --gpus-per-node, --seq-len, --global-batch), the planner's best plan at
// each point, and what it means for a token budget: tokens/s, time to train and GPU-hours.
//
// Sweep syntax (one flag each): a comma list ("256,512,1024", "h100-sxm,b200",
// "200Gb/s,400Gb/s") or a range "start:stop:step" where step is "xF" (geometric, "256:4096:x2")
// or "+S" (arithmetic, "2048:8192:+2048"; a bare "S" means the same); ranges of bandwidths take
// units on both ends ("100Gb/s:800Gb/s:x2"). Points are the product of the axes, the first
// axis (in the flag order above) varying slowest.
//
// Rows travel between MPI ranks as JSON text (row_to_json / row_from_json), so a study divided
// among ranks prints exactly what one process prints. Validated by
// tests/planner_search/whatif_test.cc and the CTest test whatif_two_ranks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "planner/csv_table.h"
#include "planner/svg_plot.h"

namespace ptsim {

enum class SweepKind : std::uint8_t { integer, bandwidth, name };

struct SweepAxis {
  std::string flag;                 // "--gpus"
  std::vector<std::string> values;  // as the flag would take them, one per point
};

// Expands one flag's sweep text. Errors name the flag.
Result<std::vector<std::string>> expand_sweep(const std::string& text, const std::string& flag,
                                              SweepKind kind);

// One point: the value of each axis, aligned with the axes.
using SweepPoint = std::vector<std::string>;
std::vector<SweepPoint> sweep_points(const std::vector<SweepAxis>& axes);

// What one point gave.
struct WhatIfRow {
  SweepPoint point;
  bool ok = false;
  std::string error;  // when !ok: the planner's one-line answer
  int gpus = 0;
  std::string gpu;
  std::string layout;
  double step_time_s = 0;
  double tokens_per_s = 0;
  double mfu = 0;
  double peak_memory_bytes = 0;
  double time_to_train_s = 0;  // token budget / tokens per second
  double gpu_hours = 0;        // GPUs x time to train
};

std::string row_to_json(const WhatIfRow& row);
Result<WhatIfRow> row_from_json(const std::string& text);

// The study as a table: one column per axis, then gpus (when not swept), layout, step time,
// tokens/s, MFU, memory, time to train and GPU-hours.
Table whatif_table(const std::vector<SweepAxis>& axes, const std::vector<WhatIfRow>& rows,
                   double token_budget);

// Time to train (days) against GPUs, log axes, one line per combination of the other axes
// (per GPU type, per bandwidth, ...). Points that did not fit are left out.
PlotSpec whatif_plot(const std::vector<SweepAxis>& axes, const std::vector<WhatIfRow>& rows,
                     const std::string& model, double token_budget);

}  // namespace ptsim
