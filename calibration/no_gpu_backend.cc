// make_gpu_backend() for builds without the CUDA toolkit (PTSIM_WITH_CUDA=OFF or no nvcc found).
#include "calibration/gpu_backend.h"

namespace ptsim {

Result<std::unique_ptr<GpuBackend>> make_gpu_backend() {
  return InputError{
      "GPU", "",
      "this build has no CUDA support: reconfigure with nvcc on PATH (or -DCMAKE_CUDA_COMPILER) "
      "to measure; --from-results fits a profile from an existing results file"};
}

}  // namespace ptsim
