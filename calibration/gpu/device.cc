#include "calibration/gpu/device.h"

#include <cuda_runtime.h>

#include <string>

#include <fmt/format.h>

#include "calibration/gpu/cuda_check.h"

#if PTSIM_HAVE_NCCL
#include <nccl.h>
#endif

namespace ptsim::gpu {

namespace {
std::string version_of(int v) {  // CUDA's encoding: 1000 * major + 10 * minor
  return fmt::format("{}.{}", v / 1000, (v % 1000) / 10);
}
int attribute(cudaDeviceAttr a, int device) {
  int v = 0;
  PTSIM_CUDA(cudaDeviceGetAttribute(&v, a, device));
  return v;
}
}  // namespace

std::string source_location(const char* file, int line) {
  const std::string f(file);
  const auto at = f.rfind("calibration/");
  return fmt::format("{}:{}", at == std::string::npos ? f : f.substr(at), line);
}

void throw_cuda_error(cudaError_t e, const char* call, const char* file, int line) {
  throw_input_error(
      "CUDA", source_location(file, line),
      fmt::format("{} failed: {} ({})", call, cudaGetErrorString(e), static_cast<int>(e)));
}

void throw_cublas_error(cublasStatus_t s, const char* call, const char* file, int line) {
  throw_input_error(
      "cuBLASLt", source_location(file, line),
      fmt::format("{} failed: {} ({})", call, cublasLtGetStatusString(s), static_cast<int>(s)));
}

Result<int> cuda_device_count() {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    cudaGetLastError();  // clear the error so later calls do not report it again
    return InputError{"GPU", "",
                      fmt::format("no GPU found (cudaGetDeviceCount: {}, error {})",
                                  cudaGetErrorString(e), static_cast<int>(e))};
  }
  if (count == 0) return InputError{"GPU", "", "no GPU found (no CUDA device visible)"};
  return count;
}

DeviceDescription describe_device(int device) {
  cudaDeviceProp prop{};
  PTSIM_CUDA(cudaGetDeviceProperties(&prop, device));
  DeviceDescription d;
  d.name = prop.name;
  d.compute_capability_major = prop.major;
  d.compute_capability_minor = prop.minor;
  d.sm_count = prop.multiProcessorCount;
  d.memory_bytes = static_cast<double>(prop.totalGlobalMem);
  d.l2_bytes = static_cast<double>(prop.l2CacheSize);
  // Clock rates are attributes in kHz (cudaDeviceProp lost its clock fields in CUDA 13).
  d.sm_clock_hz = 1e3 * attribute(cudaDevAttrClockRate, device);
  d.memory_clock_hz = 1e3 * attribute(cudaDevAttrMemoryClockRate, device);
  char bus[32] = {};
  PTSIM_CUDA(cudaDeviceGetPCIBusId(bus, sizeof bus, device));
  d.pci_bus_id = bus;
  return d;
}

std::string cuda_driver_version() {
  int v = 0;
  PTSIM_CUDA(cudaDriverGetVersion(&v));
  return version_of(v);
}

std::string cuda_runtime_version() {
  int v = 0;
  PTSIM_CUDA(cudaRuntimeGetVersion(&v));
  return version_of(v);
}

std::string cublaslt_version() {
  const std::size_t v = cublasLtGetVersion();  // major * 10000 + minor * 100 + patch
  return fmt::format("{}.{}.{}", v / 10000, (v / 100) % 100, v % 100);
}

std::string nccl_version() {
#if PTSIM_HAVE_NCCL
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) return "unknown";
  return fmt::format("{}.{}.{}", v / 10000, (v / 100) % 100, v % 100);
#else
  return "";
#endif
}

}  // namespace ptsim::gpu
