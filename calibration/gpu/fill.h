// Device-side fills and gathers shared by the benchmarks (kernels in fill.cu).
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace ptsim::gpu {

enum class ElementType : std::uint8_t { bf16, fp8_e4m3, fp32 };
int element_bytes(ElementType t);

// Which verifiable.h function fills: eighths = verifiable_value, unit = verifiable_unit,
// unit_positive = |verifiable_unit| (for Adam's second moment).
enum class ValueRange : std::uint8_t { eighths, unit, unit_positive };
float verifiable(ValueRange range, std::uint64_t seed, std::uint32_t stream, std::uint64_t i);

// ptr[i] = verifiable(range, seed, stream, first + i) for i in [0, count), converted to `type`
// (exact: the values are representable in every type).
void fill_verifiable(void* ptr, ElementType type, std::int64_t count, std::uint64_t seed,
                     std::uint32_t stream, ValueRange range, cudaStream_t s,
                     std::int64_t first = 0);

// dst[i] = src[index[i]] for i in [0, n), elements of 2 or 4 bytes; `index` is device memory.
void gather_elements(const void* src, int element_bytes, const std::int64_t* index, std::int64_t n,
                     void* dst, cudaStream_t s);

}  // namespace ptsim::gpu
