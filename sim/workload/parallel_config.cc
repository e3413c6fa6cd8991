#include "sim/workload/parallel_config.h"

namespace ptsim {

const char* schedule_name(Schedule s) {
  switch (s) {
    case Schedule::gpipe:
      return "gpipe";
    case Schedule::one_f_one_b:
      return "1f1b";
    case Schedule::interleaved:
      return "interleaved";
    case Schedule::zb_h1:
      return "zb-h1";
    case Schedule::dualpipe:
      return "dualpipe";
  }
  return "?";
}

const char* recompute_name(Recompute r) {
  switch (r) {
    case Recompute::none:
      return "none";
    case Recompute::selective:
      return "selective";
    case Recompute::full:
      return "full";
  }
  return "?";
}

const char* cp_algorithm_name(CpAlgorithm a) {
  switch (a) {
    case CpAlgorithm::ring:
      return "ring";
    case CpAlgorithm::ulysses:
      return "ulysses";
  }
  return "?";
}

const char* moe_dispatcher_name(MoeDispatcher d) {
  switch (d) {
    case MoeDispatcher::all_to_all:
      return "alltoall";
    case MoeDispatcher::deepep:
      return "deepep";
  }
  return "?";
}

const char* zero3_gather_name(Zero3Gather g) {
  switch (g) {
    case Zero3Gather::prefetch:
      return "prefetch";
    case Zero3Gather::on_demand:
      return "on-demand";
  }
  return "?";
}

}  // namespace ptsim
