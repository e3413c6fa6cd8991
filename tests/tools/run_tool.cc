#include "tests/tools/run_tool.h"

#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace ptsim::testing {

namespace {

// POSIX shell single quoting: ' becomes '\''.
std::string shell_quoted(const std::string& s) {
  std::string out;
  out.reserve(s.size() + 2);
  out.push_back('\'');
  for (char c : s) {
    if (c == '\'') {
      out.append("'\\''");
    } else {
      out.push_back(c);
    }
  }
  out.push_back('\'');
  return out;
}

}  // namespace

std::string temp_path(const std::string& name) {
  return (std::filesystem::path(::testing::TempDir()) / name).string();
}

ToolRun run_tool(const std::string& tool, const std::vector<std::string>& args) {
  // A unique file for standard error (mkstemp creates it, so parallel runs never share one).
  std::string err_path = temp_path("ptsim_tool_stderr_XXXXXX");
  const int fd = ::mkstemp(err_path.data());
  if (fd < 0) {
    ADD_FAILURE() << "cannot create a temporary file in " << ::testing::TempDir();
    return {};
  }
  ::close(fd);
  std::string command = shell_quoted(std::string(PTSIM_BINARY_DIR) + "/" + tool);
  for (const auto& a : args) {
    command.push_back(' ');
    command.append(shell_quoted(a));
  }
  command.append(" 2>");
  command.append(shell_quoted(err_path));
  ToolRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ADD_FAILURE() << "cannot run " << command;
    return run;
  }
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0)
    run.out.append(buf, n);
  const int status = ::pclose(pipe);
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    run.exit_code = 128 + WTERMSIG(status);
  }
  std::ifstream err(err_path, std::ios::binary);
  std::ostringstream text;
  text << err.rdbuf();
  run.err = text.str();
  std::filesystem::remove(err_path);
  return run;
}

}  // namespace ptsim::testing
