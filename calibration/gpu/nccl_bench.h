// NCCL microbenchmarks: all-reduce, all-gather, reduce-scatter, all-to-all and send/recv over the
// plan's sizes for each group shape present, timed and reported as nccl-tests does (host clock
// around back-to-back launches, time averaged over ranks, algbw and busbw per BUSBW.md, a #wrong
// count from device-side checks of exact expected values).
//
// Group shapes: in one process, communicators over the first 2, 4 and 8 local GPUs
// (ncclCommInitAll, one thread driving every GPU in a group call), or a 1-rank communicator when
// there is a single GPU, which measures NCCL's launch overhead only. Under mpirun (one GPU per
// process): the world, and with several nodes also the intra-node groups (one per node) and the
// rail groups (GPU k of every node), each running on all nodes at once.
#pragma once

#include "calibration/gpu/mpi_world.h"
#include "calibration/measurement_sink.h"
#include "calibration/plan.h"

namespace ptsim::gpu {

// Measures every collective point of the plan the sink has not measured yet.
void run_collectives(const CalibrationPlan& plan, MpiWorld& world, int local_devices,
                     MeasurementSink& sink);

// A 1-rank communicator on device 0: the point measured (tests).
CollectiveMeasurement measure_single_rank_collective(Collective c, double bytes,
                                                     const HarnessSettings& settings);

}  // namespace ptsim::gpu
