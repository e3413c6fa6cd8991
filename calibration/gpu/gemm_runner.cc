#include "calibration/gpu/gemm_runner.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "calibration/gpu/fill.h"
#include "calibration/gpu/host_numerics.h"
#include "calibration/gpu/verifiable.h"

namespace ptsim::gpu {

namespace {

constexpr int kMaxSets = 16;
constexpr std::int64_t kSampledOutputs = 1024;
// Every output is checked when the host reference costs at most 2^26 multiply-adds.
constexpr double kCheckAllMacs = 67108864.0;

struct Types {
  cudaDataType_t ab;
  cudaDataType_t d;
  cublasComputeType_t compute;
  ElementType ab_elem;
  int d_bytes;
};

Types types_for(Dtype dtype) {
  switch (dtype) {
    case Dtype::bf16:
      return {CUDA_R_16BF, CUDA_R_16BF, CUBLAS_COMPUTE_32F, ElementType::bf16, 2};
    case Dtype::fp8:
      return {CUDA_R_8F_E4M3, CUDA_R_16BF, CUBLAS_COMPUTE_32F, ElementType::fp8_e4m3, 2};
    case Dtype::tf32:
      return {CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32, ElementType::fp32, 4};
    default:
      break;
  }
  throw_input_error("--what", "gemm",
                    std::string("no GEMM benchmark for dtype ") + dtype_name(dtype));
}

}  // namespace

LtContext::LtContext(int compute_capability_major)
    : workspace_(compute_capability_major >= 9 ? (std::size_t{32} << 20) : (std::size_t{4} << 20)) {
  PTSIM_CUBLAS(cublasLtCreate(&handle_));
}

LtContext::~LtContext() {
  if (handle_ != nullptr) cublasLtDestroy(handle_);
}

double GemmRunner::set_bytes(std::int64_t m, std::int64_t n, std::int64_t k, Dtype dtype) {
  const Types t = types_for(dtype);
  const double ab = element_bytes(t.ab_elem);
  return ab * static_cast<double>(k) * static_cast<double>(m + n) +
         static_cast<double>(t.d_bytes) * static_cast<double>(m) * static_cast<double>(n);
}

GemmRunner::GemmRunner(const LtContext& lt, std::int64_t m, std::int64_t n, std::int64_t k,
                       Dtype dtype, int candidates, double l2_bytes, std::uint64_t seed,
                       cudaStream_t stream)
    : lt_(lt), m_(m), n_(n), k_(k), dtype_(dtype), seed_(seed) {
  const Types t = types_for(dtype);
  const double one_set = set_bytes(m, n, k, dtype);
  sets_ = static_cast<int>(
      std::clamp(std::ceil(2.0 * l2_bytes / one_set), 1.0, static_cast<double>(kMaxSets)));
  for (int s = 0; s < sets_; ++s) {
    a_.emplace_back(static_cast<std::size_t>(element_bytes(t.ab_elem) * m * k));
    b_.emplace_back(static_cast<std::size_t>(element_bytes(t.ab_elem) * n * k));
    d_.emplace_back(static_cast<std::size_t>(t.d_bytes * m * n));
    // Every set holds the same inputs: rotation is about caches, not data.
    fill_verifiable(a_.back().get(), t.ab_elem, m * k, seed, kStreamGemmA, ValueRange::eighths,
                    stream);
    fill_verifiable(b_.back().get(), t.ab_elem, n * k, seed, kStreamGemmB, ValueRange::eighths,
                    stream);
    PTSIM_CUDA(cudaMemsetAsync(d_.back().get(), 0, d_.back().bytes(), stream));
  }
  PTSIM_CUBLAS(cublasLtMatmulDescCreate(&op_, t.compute, CUDA_R_32F));
  const cublasOperation_t trans = CUBLAS_OP_T, no_trans = CUBLAS_OP_N;
  PTSIM_CUBLAS(
      cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSA, &trans, sizeof trans));
  PTSIM_CUBLAS(
      cublasLtMatmulDescSetAttribute(op_, CUBLASLT_MATMUL_DESC_TRANSB, &no_trans, sizeof no_trans));
  PTSIM_CUBLAS(cublasLtMatrixLayoutCreate(&a_desc_, t.ab, static_cast<std::uint64_t>(k),
                                          static_cast<std::uint64_t>(m), k));
  PTSIM_CUBLAS(cublasLtMatrixLayoutCreate(&b_desc_, t.ab, static_cast<std::uint64_t>(k),
                                          static_cast<std::uint64_t>(n), k));
  PTSIM_CUBLAS(cublasLtMatrixLayoutCreate(&d_desc_, t.d, static_cast<std::uint64_t>(m),
                                          static_cast<std::uint64_t>(n), m));
  cublasLtMatmulPreference_t pref = nullptr;
  PTSIM_CUBLAS(cublasLtMatmulPreferenceCreate(&pref));
  const std::size_t ws = lt.workspace_bytes();
  PTSIM_CUBLAS(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES,
                                                    &ws, sizeof ws));
  heuristics_.resize(static_cast<std::size_t>(std::max(1, candidates)));
  int returned = 0;
  const cublasStatus_t st = cublasLtMatmulAlgoGetHeuristic(
      lt.handle(), op_, a_desc_, b_desc_, d_desc_, d_desc_, pref,
      static_cast<int>(heuristics_.size()), heuristics_.data(), &returned);
  cublasLtMatmulPreferenceDestroy(pref);
  if (st != CUBLAS_STATUS_SUCCESS) returned = 0;  // no algorithm: candidates() == 0
  heuristics_.resize(static_cast<std::size_t>(std::max(0, returned)));
  std::erase_if(heuristics_, [](const cublasLtMatmulHeuristicResult_t& h) {
    return h.state != CUBLAS_STATUS_SUCCESS;
  });
  prepare_expected(
      static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) <= kCheckAllMacs,
      stream);
  PTSIM_CUDA(cudaStreamSynchronize(stream));
}

GemmRunner::~GemmRunner() {
  if (d_desc_ != nullptr) cublasLtMatrixLayoutDestroy(d_desc_);
  if (b_desc_ != nullptr) cublasLtMatrixLayoutDestroy(b_desc_);
  if (a_desc_ != nullptr) cublasLtMatrixLayoutDestroy(a_desc_);
  if (op_ != nullptr) cublasLtMatmulDescDestroy(op_);
}

void GemmRunner::launch(int candidate, int iteration, cudaStream_t stream) {
  const int s = iteration % sets_;
  const float alpha = 1.0f, beta = 0.0f;
  const auto& h = heuristics_.at(static_cast<std::size_t>(candidate));
  PTSIM_CUBLAS(cublasLtMatmul(lt_.handle(), op_, &alpha, a_[s].get(), a_desc_, b_[s].get(), b_desc_,
                              &beta, d_[s].get(), d_desc_, d_[s].get(), d_desc_, &h.algo,
                              lt_.workspace(), lt_.workspace_bytes(), stream));
}

void GemmRunner::prepare_expected(bool all, cudaStream_t stream) {
  expected_all_ = all;
  positions_ = sample_positions(m_ * n_, all ? m_ * n_ : kSampledOutputs, seed_ ^ 0x5eed);
  expected_.clear();
  expected_.reserve(positions_.size());
  const bool bf16_out = dtype_ != Dtype::tf32;
  for (std::int64_t pos : positions_) {
    const std::int64_t i = pos % m_;  // D is column-major: pos = i + j * m
    const std::int64_t j = pos / m_;
    float sum = 0;  // exact: see verifiable.h
    for (std::int64_t kk = 0; kk < k_; ++kk) {
      sum += verifiable_value(seed_, kStreamGemmA, static_cast<std::uint64_t>(i * k_ + kk)) *
             verifiable_value(seed_, kStreamGemmB, static_cast<std::uint64_t>(j * k_ + kk));
    }
    expected_.push_back(bf16_out ? round_to_bf16(sum) : sum);
  }
  positions_dev_ = DeviceBuffer(positions_.size() * sizeof(std::int64_t));
  copy_to_device(positions_dev_, positions_.data(), positions_dev_.bytes(), stream);
  gathered_dev_ = DeviceBuffer(positions_.size() * 4);
}

std::int64_t GemmRunner::check(int iteration, cudaStream_t stream, bool all) {
  if (all && !expected_all_) prepare_expected(true, stream);
  const bool bf16_out = dtype_ != Dtype::tf32;
  const int bytes = bf16_out ? 2 : 4;
  const std::size_t n = positions_.size();
  gather_elements(d_[iteration % sets_].get(), bytes, positions_dev_.as<std::int64_t>(),
                  static_cast<std::int64_t>(n), gathered_dev_.get(), stream);
  std::vector<unsigned char> host(n * static_cast<std::size_t>(bytes));
  PTSIM_CUDA(cudaMemcpyAsync(host.data(), gathered_dev_.get(), host.size(), cudaMemcpyDeviceToHost,
                             stream));
  PTSIM_CUDA(cudaStreamSynchronize(stream));
  std::int64_t wrong = 0;
  for (std::size_t e = 0; e < n; ++e) {
    double got;
    if (bf16_out) {
      std::uint16_t bits;
      std::memcpy(&bits, host.data() + 2 * e, 2);
      got = bf16_bits_to_float(bits);
    } else {
      float f;
      std::memcpy(&f, host.data() + 4 * e, 4);
      got = f;
    }
    const double want = expected_[e];
    // bf16: within one unit in the last place (the exact sum rounded once, whichever rounding
    // the epilogue uses); fp32: exact up to the last bit.
    const double tol = bf16_out ? bf16_ulp(want) : 1e-6 * std::max(1.0, std::abs(want));
    if (!(std::abs(got - want) <= tol)) ++wrong;
  }
  return wrong;
}

}  // namespace ptsim::gpu
