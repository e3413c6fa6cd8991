// The last line of a tool's defence. Bad input is an InputError answered where it is found (one
// line, exit 2); what can still escape a tool's main is the machine running out of memory for a
// job it was asked to hold, or a bug. Either becomes one line on stderr and an exit code here,
// instead of std::terminate's abort and core dump.
#pragma once

#include <functional>

namespace ptsim {

// The job needs more memory than the machine has: like bad input, the answer is a smaller job.
inline constexpr int kExitOutOfMemory = 2;
// An exception no code path expected (a bug): distinct from every answer a tool gives on purpose.
inline constexpr int kExitInternalError = 3;

// Runs `body` (a tool's main) and returns its exit code; an exception it lets escape is printed as
// "<tool>: out of memory: ..." or "<tool>: internal error: ..." and mapped to the codes above.
int run_guarded(const char* tool, const std::function<int()>& body);

}  // namespace ptsim
