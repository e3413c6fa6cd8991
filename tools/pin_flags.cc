#include "tools/pin_flags.h"

namespace ptsim {

PinFlags pin_flags(const cli::ConfigFlags& f) {
  PinFlags p;
  p.tp = f.tp;
  p.pp = f.pp;
  p.dp = f.dp;
  p.cp = f.cp;
  p.ep = f.ep;
  p.etp = f.etp;
  p.vpp = f.vpp;
  p.micro_batch = f.micro_batch;
  p.zero = f.zero;
  p.sequence_parallel = f.sequence_parallel;
  p.recompute = f.recompute;
  p.schedule = f.schedule;
  p.cp_algorithm = f.cp_algorithm;
  p.rank_order = f.rank_order;
  p.overlap_grad_reduce = f.overlap_grad_reduce;
  p.tp_comm_overlap = f.tp_comm_overlap;
  p.ep_a2a_overlap = f.ep_a2a_overlap;
  p.zero3_gather = f.zero3_gather;
  p.ep_dispatcher = f.ep_dispatcher;
  p.grad_reduce_fp32 = f.grad_reduce_fp32;
  p.overlap_p2p = f.overlap_p2p;
  p.recompute_modules = f.recompute_modules;
  return p;
}

}  // namespace ptsim
