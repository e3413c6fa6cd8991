// DESIGN.md's layers, enforced: a file may include only its own module and the modules below it.
// Also: sim/'s engine, graph and network never include anything named after transformers, layers
// or attention; cost_models/ never includes <fstream> or the engine; nothing outside calibration/
// includes CUDA or NCCL headers.
#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

// Module of a path relative to the source root, or "" for files outside the layered tree.
std::string module_of(const std::string& rel) {
  static const std::vector<std::string> kModules = {
      "sim/workload/",      "sim/network/", "sim/engine/",  "sim/graph/", "sim/",  "common/",
      "hardware_profiles/", "cost_models/", "calibration/", "planner/",   "tools/"};
  for (const auto& m : kModules) {
    if (rel.rfind(m, 0) == 0) return m.substr(0, m.size() - 1);
  }
  return "";
}

const std::map<std::string, std::set<std::string>>& allowed() {
  static const std::set<std::string> base = {"common"};
  static const std::map<std::string, std::set<std::string>> rules = {
      {"common", {"common"}},
      {"hardware_profiles", {"common", "hardware_profiles"}},
      {"cost_models", {"common", "hardware_profiles", "cost_models"}},
      {"sim/graph", {"common", "hardware_profiles", "cost_models", "sim/graph"}},
      {"sim/engine", {"common", "sim/engine"}},
      {"sim/network",
       {"common", "hardware_profiles", "cost_models", "sim/graph", "sim/engine", "sim/network"}},
      {"sim",
       {"common", "hardware_profiles", "cost_models", "sim/graph", "sim/engine", "sim/network",
        "sim"}},
      {"sim/workload", {"common", "hardware_profiles", "cost_models", "sim/graph", "sim/workload"}},
      {"calibration",
       {"common", "hardware_profiles", "cost_models", "sim/graph", "sim/engine", "sim/network",
        "sim", "sim/workload", "calibration"}},
      {"planner",
       {"common", "hardware_profiles", "cost_models", "sim/graph", "sim/engine", "sim/network",
        "sim", "sim/workload", "calibration", "planner"}},
      {"tools",
       {"common", "hardware_profiles", "cost_models", "sim/graph", "sim/engine", "sim/network",
        "sim", "sim/workload", "calibration", "planner", "tools"}},
  };
  return rules;
}

struct Include {
  std::string file;
  int line;
  std::string target;
  bool quoted;
};

std::vector<Include> project_includes() {
  const fs::path root = PTSIM_SOURCE_DIR;
  std::vector<Include> out;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    const auto& p = it->path();
    const std::string name = p.filename().string();
    if (it->is_directory() && (name.rfind("build", 0) == 0 || name == ".git" || name == "tests")) {
      it.disable_recursion_pending();
      continue;
    }
    const std::string ext = p.extension().string();
    if (ext != ".h" && ext != ".cc" && ext != ".cu" && ext != ".cuh" && ext != ".cpp") continue;
    std::ifstream in(p);
    std::string text;
    int line_no = 0;
    while (std::getline(in, text)) {
      ++line_no;
      // `#include "x"` or `#include <x>`, spaces allowed after '#'.
      std::size_t i = text.find_first_not_of(" \t");
      if (i == std::string::npos || text[i] != '#') continue;
      i = text.find_first_not_of(" \t", i + 1);
      if (i == std::string::npos || text.compare(i, 7, "include") != 0) continue;
      i = text.find_first_of("<\"", i + 7);
      if (i == std::string::npos) continue;
      const char close = text[i] == '<' ? '>' : '"';
      const std::size_t end = text.find(close, i + 1);
      if (end == std::string::npos) continue;
      out.push_back({fs::relative(p, root).string(), line_no, text.substr(i + 1, end - i - 1),
                     text[i] == '"'});
    }
  }
  return out;
}

TEST(UnitLayering, NoFileIncludesALayerAboveItsOwn) {
  const auto includes = project_includes();
  ASSERT_GT(includes.size(), 10u) << "the scan found no sources under " << PTSIM_SOURCE_DIR;
  for (const auto& inc : includes) {
    if (!inc.quoted) continue;
    const std::string from = module_of(inc.file);
    const std::string to = module_of(inc.target);
    if (from.empty() || to.empty()) continue;
    const auto& ok = allowed().at(from);
    EXPECT_TRUE(ok.contains(to)) << inc.file << ":" << inc.line << " (" << from << ") includes "
                                 << inc.target << " (" << to << ")";
  }
}

bool mentions_model_words(std::string path) {
  for (char& c : path)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"transformer", "layer", "attention", "workload"}) {
    if (path.find(word) != std::string::npos) return true;
  }
  return false;
}

TEST(UnitLayering, GenericSimulatorKnowsNothingOfModels) {
  for (const auto& inc : project_includes()) {
    const std::string from = module_of(inc.file);
    if (from != "sim/engine" && from != "sim/graph" && from != "sim/network" && from != "sim") {
      continue;
    }
    EXPECT_FALSE(mentions_model_words(inc.target))
        << inc.file << ":" << inc.line << " includes " << inc.target;
  }
}

TEST(UnitLayering, CostModelsNeitherReadFilesNorSimulate) {
  for (const auto& inc : project_includes()) {
    if (module_of(inc.file) != "cost_models") continue;
    EXPECT_NE(inc.target, "fstream") << inc.file << ":" << inc.line;
    EXPECT_EQ(inc.target.rfind("sim/", 0), std::string::npos) << inc.file << ":" << inc.line;
  }
}

bool is_gpu_header(const std::string& path) {
  if (path.find('/') != std::string::npos || path.size() < 2) return false;
  if (path.compare(path.size() - 2, 2, ".h") != 0) return false;
  for (const char* prefix : {"cuda", "cublas", "cudnn", "nccl", "cupti"}) {
    if (path.rfind(prefix, 0) == 0) return true;
  }
  return false;
}

TEST(UnitLayering, OnlyCalibrationIncludesCudaOrNccl) {
  for (const auto& inc : project_includes()) {
    if (module_of(inc.file) == "calibration") continue;
    EXPECT_FALSE(is_gpu_header(inc.target))
        << inc.file << ":" << inc.line << " includes " << inc.target;
  }
}

}  // namespace
