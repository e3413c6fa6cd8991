// The CUDA device this process measures: whether there is one, and what it is.
#pragma once

#include <string>

#include "calibration/provenance.h"
#include "common/result.h"

namespace ptsim::gpu {

// The number of CUDA devices, or "no GPU found" with the reason. Any error from
// cudaGetDeviceCount counts as no GPU (without a driver it returns error 35,
// cudaErrorInsufficientDriver, and leaves the count unwritten).
Result<int> cuda_device_count();

DeviceDescription describe_device(int device);
std::string cuda_driver_version();   // "13.0"
std::string cuda_runtime_version();  // "13.0"
std::string cublaslt_version();      // "13.0.0" from cublasLtGetVersion
std::string nccl_version();          // "2.28.9", "" when built without NCCL

}  // namespace ptsim::gpu
