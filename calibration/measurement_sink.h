// Where the GPU backend delivers measurements as it takes them. The orchestrator's sink appends
// each one to the checkpoint (so an interrupted run loses at most the point in flight) and prints
// it as a row of an nccl-tests-style table; tests use a sink that only collects.
#pragma once

#include <string>
#include <vector>

#include "calibration/measurement.h"
#include "common/result.h"

namespace ptsim {

enum class Section : std::uint8_t { gemm, attention, memory, collective, interference };

class MeasurementSink {
 public:
  virtual ~MeasurementSink() = default;
  // True when this point (by measurement_key) is already in the checkpoint: skip it.
  virtual bool already_measured(const Measurement& point) const = 0;
  // Starts a table: prints its header and units rows after `notes` ('#' comment lines).
  virtual void begin_section(Section section, const std::vector<std::string>& notes) = 0;
  virtual Status record(const Measurement& m) = 0;
  // A comment line ("# skipped fp8: needs sm_89 or newer").
  virtual void note(const std::string& line) = 0;
  virtual void end_section() = 0;
};

}  // namespace ptsim
