// The tools' last-resort guard (common/tool_main.h): what escapes a tool's main is one line on
// stderr with its own exit code, never std::terminate's abort.
#include <gtest/gtest.h>

#include <new>
#include <stdexcept>
#include <string>

#include "common/tool_main.h"

namespace ptsim {
namespace {

// One line on stderr: the text and the single newline that ends it.
void expect_one_line(const std::string& err, const std::string& starts_with) {
  EXPECT_EQ(err.rfind(starts_with, 0), 0u) << err;
  ASSERT_FALSE(err.empty());
  EXPECT_EQ(err.find('\n'), err.size() - 1) << err;
}

TEST(UnitToolMain, ABodysExitCodeIsTheToolsAndNothingIsPrinted) {
  testing::internal::CaptureStderr();
  const int code = run_guarded("simulate", [] { return 7; });
  EXPECT_EQ(code, 7);
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
}

TEST(UnitToolMain, RunningOutOfMemoryIsOneLineAndTheBadInputExitCode) {
  testing::internal::CaptureStderr();
  const int code = run_guarded("planner", []() -> int { throw std::bad_alloc(); });
  EXPECT_EQ(code, 2);
  expect_one_line(testing::internal::GetCapturedStderr(), "planner: out of memory: ");
}

TEST(UnitToolMain, AnyOtherExceptionIsOneLineNamingItAndItsOwnExitCode) {
  testing::internal::CaptureStderr();
  const int code =
      run_guarded("validate", []() -> int { throw std::logic_error("unexpected state"); });
  EXPECT_EQ(code, 3);
  const std::string err = testing::internal::GetCapturedStderr();
  expect_one_line(err, "validate: internal error: ");
  EXPECT_NE(err.find("unexpected state"), std::string::npos) << err;

  testing::internal::CaptureStderr();
  EXPECT_EQ(run_guarded("whatif", []() -> int { throw 42; }), 3);
  expect_one_line(testing::internal::GetCapturedStderr(), "whatif: internal error: ");
}

}  // namespace
}  // namespace ptsim
