#include "common/tool_main.h"

#include <cstdio>
#include <exception>
#include <new>

namespace ptsim {

int run_guarded(const char* tool, const std::function<int()>& body) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr,
                 "%s: out of memory: the job needs more memory than this machine has; a smaller "
                 "one (fewer GPUs or micro-batches per step, a shallower model, the reduced graph) "
                 "fits\n",
                 tool);
    return kExitOutOfMemory;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: internal error: %s\n", tool, e.what());
    return kExitInternalError;
  } catch (...) {
    std::fprintf(stderr, "%s: internal error: an unknown exception\n", tool);
    return kExitInternalError;
  }
}

}  // namespace ptsim
