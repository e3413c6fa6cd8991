#include "calibration/gpu/memory_bench.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <vector>

#include "calibration/gpu/device_buffer.h"
#include "calibration/gpu/fill.h"
#include "calibration/gpu/harness.h"
#include "calibration/gpu/host_numerics.h"
#include "calibration/gpu/memory_kernels.h"
#include "calibration/gpu/verifiable.h"

namespace ptsim::gpu {

namespace {

constexpr std::int64_t kSampledElements = 4096;
constexpr std::int64_t kSampledRows = 4;
constexpr int kRopeHeads = 32;
constexpr int kRopeSeq = 8192;

// One output tensor to check: positions, expected values and tolerances.
struct Expected {
  const DeviceBuffer* buffer = nullptr;
  bool bf16 = true;  // else fp32
  std::vector<std::int64_t> index;
  std::vector<double> want;
  std::vector<double> tol;
  DeviceBuffer index_dev, gathered;

  void add(std::int64_t i, double value, double abs_tol) {
    index.push_back(i);
    want.push_back(value);
    // Two bf16 units: the device computes in fp32 and rounds once, the host in double.
    tol.push_back(abs_tol + (bf16 ? 2 * bf16_ulp(value) : 1e-5 * std::abs(value)));
  }
};

class MemoryBenchmark : public Benchmark {
 public:
  MemoryBenchmark(const MemoryMeasurement& m, std::uint64_t seed, cudaStream_t stream)
      : op_(m.op), n_(m.elements), row_(memory_op_row(m.op)), seed_(seed), stream_(stream) {}

  void init() override;
  void run(int) override;
  void synchronize() override { PTSIM_CUDA(cudaStreamSynchronize(stream_)); }
  cudaStream_t event_stream() const override { return stream_; }
  std::int64_t check(int) override;

 private:
  double x(std::int64_t i) const { return verifiable(ValueRange::unit, seed_, kStreamMemA, i); }
  double in(std::uint32_t stream, std::int64_t i, ValueRange r = ValueRange::unit) const {
    return verifiable(r, seed_, stream, static_cast<std::uint64_t>(i));
  }
  DeviceBuffer bf16_input(std::int64_t count, std::uint32_t stream) {
    DeviceBuffer b(static_cast<std::size_t>(2 * count));
    fill_verifiable(b.get(), ElementType::bf16, count, seed_, stream, ValueRange::unit, stream_);
    return b;
  }
  DeviceBuffer fp32_input(std::int64_t count, std::uint32_t stream, ValueRange r) {
    DeviceBuffer b(static_cast<std::size_t>(4 * count));
    fill_verifiable(b.get(), ElementType::fp32, count, seed_, stream, r, stream_);
    return b;
  }
  Expected& expect(const DeviceBuffer& b, bool bf16) {
    expected_.emplace_back();
    expected_.back().buffer = &b;
    expected_.back().bf16 = bf16;
    return expected_.back();
  }
  void expect_rows();
  void expect_elements();

  MemoryOp op_;
  std::int64_t n_;
  std::int64_t row_;
  std::uint64_t seed_;
  cudaStream_t stream_;
  DeviceBuffer a_, b_, c_, d_, w_, bias_, targets_;
  DeviceBuffer out_a_, out_b_, out_c_, out_d_;
  std::deque<Expected> expected_;  // a deque: expect() hands out references that must stay valid
  AdamParams adam_;
};

void MemoryBenchmark::init() {
  const std::int64_t rows = n_ / row_;
  switch (op_) {
    case MemoryOp::rmsnorm:
    case MemoryOp::layernorm:
      a_ = bf16_input(n_, kStreamMemA);
      w_ = bf16_input(row_, kStreamMemWeight);
      bias_ = bf16_input(row_, kStreamMemBias);
      out_a_ = DeviceBuffer(static_cast<std::size_t>(2 * n_));
      break;
    case MemoryOp::swiglu:
      a_ = bf16_input(2 * n_, kStreamMemA);
      out_a_ = DeviceBuffer(static_cast<std::size_t>(2 * n_));
      break;
    case MemoryOp::gelu:
    case MemoryOp::rope:
    case MemoryOp::copy:
      a_ = bf16_input(n_, kStreamMemA);
      out_a_ = DeviceBuffer(static_cast<std::size_t>(2 * n_));
      break;
    case MemoryOp::cross_entropy: {
      a_ = bf16_input(n_, kStreamMemA);
      std::vector<std::int32_t> t(static_cast<std::size_t>(rows));
      for (std::int64_t r = 0; r < rows; ++r) {
        t[static_cast<std::size_t>(r)] =
            static_cast<std::int32_t>(verifiable_hash(seed_, kStreamMemB, r) % row_);
      }
      targets_ = DeviceBuffer(t.size() * 4);
      copy_to_device(targets_, t.data(), targets_.bytes(), stream_);
      out_a_ = DeviceBuffer(static_cast<std::size_t>(4 * rows));  // loss
      out_b_ = DeviceBuffer(static_cast<std::size_t>(2 * n_));    // dlogits
      break;
    }
    case MemoryOp::adam:
      a_ = fp32_input(n_, kStreamMemA, ValueRange::unit);
      b_ = fp32_input(n_, kStreamMemB, ValueRange::unit);
      c_ = fp32_input(n_, kStreamMemC, ValueRange::unit_positive);
      d_ = bf16_input(n_, kStreamMemD);
      out_a_ = DeviceBuffer(static_cast<std::size_t>(4 * n_));
      out_b_ = DeviceBuffer(static_cast<std::size_t>(4 * n_));
      out_c_ = DeviceBuffer(static_cast<std::size_t>(4 * n_));
      out_d_ = DeviceBuffer(static_cast<std::size_t>(2 * n_));
      break;
    case MemoryOp::empty:
      break;
  }
  if (op_ == MemoryOp::rmsnorm || op_ == MemoryOp::layernorm || op_ == MemoryOp::cross_entropy) {
    expect_rows();
  } else if (op_ != MemoryOp::empty) {
    expect_elements();
  }
  for (Expected& e : expected_) {
    e.index_dev = DeviceBuffer(e.index.size() * sizeof(std::int64_t));
    copy_to_device(e.index_dev, e.index.data(), e.index_dev.bytes(), stream_);
    e.gathered = DeviceBuffer(e.index.size() * 4);
  }
  PTSIM_CUDA(cudaStreamSynchronize(stream_));
}

void MemoryBenchmark::expect_rows() {
  const std::int64_t rows = n_ / row_;
  const auto picks = sample_positions(rows, kSampledRows, seed_ ^ 0x0e0e);
  if (op_ == MemoryOp::cross_entropy) {
    Expected& loss = expect(out_a_, false);
    Expected& grad = expect(out_b_, true);
    for (std::int64_t r : picks) {
      double mx = -INFINITY, sum = 0;
      for (std::int64_t c = 0; c < row_; ++c)
        mx = std::max(mx, x(r * row_ + c));
      for (std::int64_t c = 0; c < row_; ++c)
        sum += std::exp(x(r * row_ + c) - mx);
      const auto target = static_cast<std::int64_t>(verifiable_hash(seed_, kStreamMemB, r) % row_);
      loss.add(r, std::log(sum) + mx - x(r * row_ + target), 1e-3);
      for (std::int64_t c = 0; c < row_; ++c) {
        const double p = std::exp(x(r * row_ + c) - mx) / sum;
        grad.add(r * row_ + c, p - (c == target ? 1.0 : 0.0), 1e-7);
      }
    }
    return;
  }
  Expected& y = expect(out_a_, true);
  for (std::int64_t r : picks) {
    double mean = 0, ss = 0;
    for (std::int64_t c = 0; c < row_; ++c)
      mean += x(r * row_ + c) / row_;
    for (std::int64_t c = 0; c < row_; ++c) {
      const double v = x(r * row_ + c) - (op_ == MemoryOp::layernorm ? mean : 0.0);
      ss += v * v / row_;
    }
    const double inv = 1.0 / std::sqrt(ss + kNormEpsilon);
    for (std::int64_t c = 0; c < row_; ++c) {
      const double w = in(kStreamMemWeight, c);
      const double out = op_ == MemoryOp::layernorm
                             ? (x(r * row_ + c) - mean) * inv * w + in(kStreamMemBias, c)
                             : x(r * row_ + c) * inv * w;
      y.add(r * row_ + c, out, 1e-3);
    }
  }
}

void MemoryBenchmark::expect_elements() {
  const auto picks = sample_positions(n_, kSampledElements, seed_ ^ 0xe1e);
  if (op_ == MemoryOp::adam) {
    Expected& p = expect(out_a_, false);
    Expected& m = expect(out_b_, false);
    Expected& v = expect(out_c_, false);
    Expected& pb = expect(out_d_, true);
    const AdamParams& a = adam_;
    for (std::int64_t i : picks) {
      const double g = in(kStreamMemD, i);
      const double m1 = a.beta1 * in(kStreamMemB, i) + (1 - a.beta1) * g;
      const double v1 =
          a.beta2 * in(kStreamMemC, i, ValueRange::unit_positive) + (1 - a.beta2) * g * g;
      const double p0 = in(kStreamMemA, i);
      const double p1 =
          p0 - a.lr * ((m1 / a.bias_correction1) / (std::sqrt(v1 / a.bias_correction2) + a.eps) +
                       a.weight_decay * p0);
      p.add(i, p1, 1e-6);
      m.add(i, m1, 1e-7);
      v.add(i, v1, 1e-7);
      pb.add(i, p1, 1e-6);
    }
    return;
  }
  Expected& y = expect(out_a_, true);
  for (std::int64_t i : picks) {
    switch (op_) {
      case MemoryOp::swiglu: {
        const std::int64_t r = i / row_, c = i % row_;
        y.add(i,
              silu_host(static_cast<float>(in(kStreamMemA, r * 2 * row_ + c))) *
                  in(kStreamMemA, r * 2 * row_ + row_ + c),
              1e-6);
        break;
      }
      case MemoryOp::gelu:
        y.add(i, gelu_host(static_cast<float>(x(i))), 1e-6);
        break;
      case MemoryOp::rope: {
        const std::int64_t r = i / row_;
        const int c = static_cast<int>(i % row_);
        const int half = static_cast<int>(row_ / 2);
        const int pair = c % half;
        double cs, sn;
        rope_angle_host(static_cast<int>((r / kRopeHeads) % kRopeSeq), pair, static_cast<int>(row_),
                        cs, sn);
        const double x1 = x(r * row_ + pair), x2 = x(r * row_ + pair + half);
        y.add(i, c < half ? x1 * cs - x2 * sn : x2 * cs + x1 * sn, 1e-3);
        break;
      }
      case MemoryOp::copy:
        y.add(i, x(i), 0);
        break;
      default:
        break;
    }
  }
}

void MemoryBenchmark::run(int) {
  const std::int64_t rows = n_ / row_;
  const int cols = static_cast<int>(row_);
  switch (op_) {
    case MemoryOp::rmsnorm:
      rmsnorm(a_.as<bf16>(), w_.as<bf16>(), out_a_.as<bf16>(), rows, cols, stream_);
      break;
    case MemoryOp::layernorm:
      layernorm(a_.as<bf16>(), w_.as<bf16>(), bias_.as<bf16>(), out_a_.as<bf16>(), rows, cols,
                stream_);
      break;
    case MemoryOp::swiglu:
      swiglu(a_.as<bf16>(), out_a_.as<bf16>(), rows, cols, stream_);
      break;
    case MemoryOp::gelu:
      gelu(a_.as<bf16>(), out_a_.as<bf16>(), n_, stream_);
      break;
    case MemoryOp::rope:
      rope(a_.as<bf16>(), out_a_.as<bf16>(), rows, cols, kRopeHeads, kRopeSeq, stream_);
      break;
    case MemoryOp::cross_entropy:
      cross_entropy(a_.as<bf16>(), targets_.as<std::int32_t>(), out_a_.as<float>(),
                    out_b_.as<bf16>(), rows, cols, stream_);
      break;
    case MemoryOp::adam:
      adam(a_.as<float>(), b_.as<float>(), c_.as<float>(), d_.as<bf16>(), out_a_.as<float>(),
           out_b_.as<float>(), out_c_.as<float>(), out_d_.as<bf16>(), n_, adam_, stream_);
      break;
    case MemoryOp::copy:
      copy(a_.as<bf16>(), out_a_.as<bf16>(), n_, stream_);
      break;
    case MemoryOp::empty:
      empty_kernel(stream_);
      break;
  }
}

std::int64_t MemoryBenchmark::check(int) {
  std::int64_t wrong = 0;
  for (Expected& e : expected_) {
    const int bytes = e.bf16 ? 2 : 4;
    const auto n = static_cast<std::int64_t>(e.index.size());
    gather_elements(e.buffer->get(), bytes, e.index_dev.as<std::int64_t>(), n, e.gathered.get(),
                    stream_);
    std::vector<unsigned char> host(static_cast<std::size_t>(n * bytes));
    PTSIM_CUDA(cudaMemcpyAsync(host.data(), e.gathered.get(), host.size(), cudaMemcpyDeviceToHost,
                               stream_));
    PTSIM_CUDA(cudaStreamSynchronize(stream_));
    for (std::size_t i = 0; i < e.index.size(); ++i) {
      double got;
      if (e.bf16) {
        std::uint16_t bits;
        std::memcpy(&bits, host.data() + 2 * i, 2);
        got = bf16_bits_to_float(bits);
      } else {
        float f;
        std::memcpy(&f, host.data() + 4 * i, 4);
        got = f;
      }
      if (!(std::abs(got - e.want[i]) <= e.tol[i])) ++wrong;
    }
  }
  return wrong;
}

}  // namespace

std::optional<MemoryMeasurement> measure_memory(const MemoryMeasurement& request,
                                                const HarnessSettings& settings,
                                                cudaStream_t stream, std::string& why_skipped) {
  if (request.elements % memory_op_row(request.op) != 0) {
    why_skipped = "element count must be a whole number of rows";
    return std::nullopt;
  }
  if (2.5 * request.bytes > 0.8 * static_cast<double>(free_device_memory())) {
    why_skipped = "does not fit in the free device memory";
    return std::nullopt;
  }
  MemoryBenchmark bench(request, settings.seed, stream);
  const HarnessResult r = run_benchmark(bench, settings);
  MemoryMeasurement out = request;
  out.timing = r.timing;
  out.wrong = r.wrong;
  return out;
}

}  // namespace ptsim::gpu
