#include "calibration/model_dims.h"

#include <array>

namespace ptsim {

std::span<const ModelDims> builtin_model_dims() {
  static constexpr std::array<ModelDims, 5> kModels = {{
      {"llama3-8b", 4096, 14336, 32, 8, 128, 128256, 8192, true, 0, 0},
      {"llama3-70b", 8192, 28672, 64, 8, 128, 128256, 8192, true, 0, 0},
      {"llama3-405b", 16384, 53248, 128, 8, 128, 128256, 8192, true, 0, 0},
      {"gpt3-175b", 12288, 49152, 96, 96, 128, 51200, 2048, false, 0, 0},
      {"mixtral-8x7b", 4096, 14336, 32, 8, 128, 32000, 4096, true, 8, 2},
  }};
  return kModels;
}

}  // namespace ptsim
