// Whether a configuration can run at all, and if not, which rule it breaks. An infeasible plan is
// neither a bug nor an input error: it is a Verdict the planner counts by rule and the tools print.
#pragma once

#include <string>

namespace ptsim {

struct Verdict {
  bool ok = true;
  std::string rule;    // short stable identifier, e.g. "tp_divides_heads"
  std::string reason;  // one line for people

  static Verdict pass() { return {}; }
  static Verdict fail(std::string rule, std::string reason) {
    return Verdict{false, std::move(rule), std::move(reason)};
  }
};

}  // namespace ptsim
