#include "calibration/executor/gpu_executor.h"

namespace ptsim {

Result<std::unique_ptr<ExecutorBackend>> make_gpu_executor(const Graph&,
                                                           const GpuExecutorSettings&) {
  return InputError{"GPU", "",
                    "this build has no CUDA support (configure with nvcc on PATH, "
                    "-DPTSIM_WITH_CUDA=ON)"};
}

}  // namespace ptsim
