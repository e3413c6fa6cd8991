// Kernels only the reference executor needs.
#pragma once

#include <cuda_runtime.h>

namespace ptsim::gpu {

// One thread that spins for `seconds` of device time (%globaltimer): the stand-in for a kernel the
// executor cannot run, holding its stream (and one SM) as long as the cost model says it takes.
void launch_spin(double seconds, cudaStream_t s);

}  // namespace ptsim::gpu
