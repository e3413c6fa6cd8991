#include "sim/workload/layer_split.h"

#include "common/check.h"

namespace ptsim {

std::vector<int> split_layers_over_stages(int layers, int stages) {
  PTSIM_CHECK(stages >= 1 && layers >= (stages > 2 ? stages - 2 : stages),
              "layer split needs a layer for every stage but the first and last");
  const int base = layers / stages;
  int extra = layers - base * stages;
  std::vector<int> count(static_cast<std::size_t>(stages), base);
  for (int s = 1; s + 1 < stages && extra > 0; ++s, --extra)
    ++count[static_cast<std::size_t>(s)];
  for (int s : {stages - 1, 0}) {
    if (extra > 0) {
      ++count[static_cast<std::size_t>(s)];
      --extra;
    }
  }
  return count;
}

}  // namespace ptsim
