// Output files: written whole or not at all, never over an existing result when told not to, and
// a destination that cannot be written is known before any work starts.
#include "common/atomic_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ptsim {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the test's temporary directory, removed with its contents afterwards.
class AtomicFile : public ::testing::Test {
 protected:
  void SetUp() override {
    // The process id keeps two builds' test runs on one machine out of each other's way.
    dir_ = fs::temp_directory_path() /
           ("ptsim_atomic_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  static std::string read(const std::string& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  fs::path dir_;
};

TEST_F(AtomicFile, WritesTheWholeContentAndLeavesNoTemporary) {
  ASSERT_TRUE(write_file_atomically(path("a.json"), "{}\n").ok());
  EXPECT_EQ(read(path("a.json")), "{}\n");
  int files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_))
    ++files;
  EXPECT_EQ(files, 1);
}

TEST_F(AtomicFile, RefusesToOverwriteWhenAskedAndKeepsTheOldContent) {
  ASSERT_TRUE(write_file_atomically(path("r.json"), "old").ok());
  auto s = write_file_atomically(path("r.json"), "new", Overwrite::refuse, "--results");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().one_line().find("--results"), std::string::npos) << s.error().one_line();
  EXPECT_EQ(read(path("r.json")), "old");
}

TEST_F(AtomicFile, AnOutputPathIsCheckedBeforeAnyWork) {
  EXPECT_TRUE(check_output_path("-", "--json").ok());  // stdout
  EXPECT_TRUE(check_output_path("", "--json").ok());   // no output asked for
  EXPECT_TRUE(check_output_path(path("new.json"), "--json").ok());
  const auto missing = check_output_path(path("no/such/dir/x.json"), "--trace");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().one_line().find("--trace"), std::string::npos);
  EXPECT_NE(missing.error().one_line().find("does not exist"), std::string::npos);
  const auto directory = check_output_path(dir_.string(), "--svg");
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().one_line().find("is a directory"), std::string::npos);
  EXPECT_FALSE(fs::exists(path("new.json")));  // checking creates nothing
}

}  // namespace
}  // namespace ptsim
