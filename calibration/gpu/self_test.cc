#include "calibration/gpu/self_test.h"

#include <cuda_runtime.h>

#include "calibration/gpu/attention_bench.h"
#include "calibration/gpu/cuda_check.h"
#include "calibration/gpu/device.h"
#include "calibration/gpu/gemm_bench.h"
#include "calibration/gpu/memory_bench.h"

#if PTSIM_HAVE_NCCL
#include "calibration/gpu/nccl_bench.h"
#endif

namespace ptsim::gpu {

namespace {

// A stream on device 0 for the duration of one self test.
struct TestStream {
  cudaStream_t s = nullptr;
  TestStream() {
    PTSIM_CUDA(cudaSetDevice(0));
    PTSIM_CUDA(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  }
  ~TestStream() { cudaStreamDestroy(s); }
};

template <class T>
T value_or_skip_reason(std::optional<T> v, const std::string& why) {
  if (!v) throw_input_error("GPU", "", "skipped: " + why);
  return *v;
}

}  // namespace

Result<bool> device_supports_fp8() {
  auto n = cuda_device_count();
  if (!n.ok()) return n.error();
  return catch_input_errors([] {
    const DeviceDescription d = describe_device(0);
    return d.compute_capability_major * 10 + d.compute_capability_minor >= 89;
  });
}

Result<GemmMeasurement> self_test_gemm(std::int64_t m, std::int64_t n, std::int64_t k, Dtype dtype,
                                       int candidates, const HarnessSettings& settings) {
  return catch_input_errors([&] {
    TestStream stream;
    const DeviceDescription d = describe_device(0);
    const LtContext lt(d.compute_capability_major);
    GemmMeasurement request;
    request.m = m;
    request.n = n;
    request.k = k;
    request.dtype = dtype;
    request.origin = "self test";
    std::string why;
    auto r = measure_gemm(request, candidates, settings, {&lt, d.l2_bytes, stream.s, true}, why);
    return value_or_skip_reason(std::move(r), why);
  });
}

Result<AttentionCheck> self_test_attention(const AttentionMeasurement& shape, std::uint64_t seed) {
  return catch_input_errors([&] {
    TestStream stream;
    const auto c = check_attention_fully(shape, seed, stream.s);
    return c;
  });
}

Result<MemoryMeasurement> self_test_memory(MemoryOp op, double bytes,
                                           const HarnessSettings& settings) {
  return catch_input_errors([&] {
    TestStream stream;
    MemoryMeasurement request;
    request.op = op;
    request.elements = memory_op_elements_for_bytes(op, bytes);
    request.bytes = static_cast<double>(request.elements) * memory_op_bytes_per_element(op);
    std::string why;
    auto r = measure_memory(request, settings, stream.s, why);
    return value_or_skip_reason(std::move(r), why);
  });
}

Result<CollectiveMeasurement> self_test_single_rank_collective(Collective c, double bytes,
                                                               const HarnessSettings& settings) {
#if PTSIM_HAVE_NCCL
  return catch_input_errors([&] {
    PTSIM_CUDA(cudaSetDevice(0));
    return measure_single_rank_collective(c, bytes, settings);
  });
#else
  return InputError{"NCCL", "", "this build has no NCCL"};
#endif
}

}  // namespace ptsim::gpu
