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
  p.switches = f.switches;
  p.zero3_gather = f.zero3_gather;
  p.ep_dispatcher = f.ep_dispatcher;
  p.expert_gemm = f.expert_gemm;
  p.recompute_modules = f.recompute_modules;
  p.recompute_layers = f.recompute_layers;
  return p;
}

}  // namespace ptsim
