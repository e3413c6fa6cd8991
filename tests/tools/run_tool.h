// Runs a built tool (PTSIM_BINARY_DIR/<name>) with arguments, as a user's shell would, and
// captures its exit code, standard output and standard error.
#pragma once

#include <string>
#include <vector>

namespace ptsim::testing {

struct ToolRun {
  int exit_code = -1;  // 128 + signal number when the tool was killed by a signal (a crash)
  std::string out;
  std::string err;
};

ToolRun run_tool(const std::string& tool, const std::vector<std::string>& args);

// A fresh file path in the test's temporary directory (nothing is created).
std::string temp_path(const std::string& name);

}  // namespace ptsim::testing
