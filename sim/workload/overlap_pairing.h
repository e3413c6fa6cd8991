// Which forward and backward passes of a pipeline plan run together, their ops interleaved so that
// one's expert-parallel all-to-all hides behind the other's compute (Megatron-Core's combined 1F1B,
// --overlap-moe-expert-parallel-comm; DeepSeek-V3's DualPipe pairs its own).
#pragma once

#include "sim/workload/pipeline_schedule.h"

namespace ptsim {

// Marks overlap_with_next on adjacent forward/backward passes of each rank that can run together
// without a deadlock. Running two passes together means the pair starts only when both have their
// inputs (a backward's first op sits on the stream ahead of the forward's later ones), so a pair
// is formed only where, in an execution of the plan in dependency order, both inputs are already
// there when the first of the two is due. In 1F1B that pairs backward m with forward m + w + 1
// (w warm-up forwards; pairing forward m + w with backward m would deadlock against the next
// rank's pair); never the forward and backward of one micro-batch (GPipe's turn-around) nor the
// passes of a warm-up clipped by few micro-batches. Pairs the plan already has stay.
void pair_forward_backward_passes(PipelinePlan& plan);

}  // namespace ptsim
