// The GPU side of calibrate behind a pure C++ interface, so that everything above it (the tool,
// the orchestrator, the tests) builds without CUDA. make_gpu_backend() is defined by
// calibration/gpu/cuda_backend.cc where CUDA is found, and by calibration/no_gpu_backend.cc
// (which answers "built without CUDA") where it is not.
#pragma once

#include <memory>

#include "calibration/measurement_sink.h"
#include "calibration/plan.h"
#include "calibration/provenance.h"
#include "common/result.h"

namespace ptsim {

class GpuBackend {
 public:
  virtual ~GpuBackend() = default;
  // Device, versions, ranks and allow-listed environment of this process (args and command line
  // are the orchestrator's to fill in).
  virtual const Provenance& environment() const = 0;
  // 0 on the process that writes files (every process without MPI; world rank 0 under mpirun).
  virtual int world_rank() const = 0;
  // Measures every point of the plan the sink has not measured yet. Under MPI every rank calls
  // this; compute benchmarks run on world rank 0's GPU, collectives on all.
  virtual Status run(const CalibrationPlan& plan, MeasurementSink& sink) = 0;
};

// The backend for this machine, or an input error saying why there is none: "built without
// CUDA", or "no GPU found" (any error from cudaGetDeviceCount counts as no GPU: without a driver
// it returns error 35, cudaErrorInsufficientDriver).
Result<std::unique_ptr<GpuBackend>> make_gpu_backend();

}  // namespace ptsim
