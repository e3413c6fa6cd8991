// What-if sweeps: the sweep syntax, the order of points, rows that survive the trip between MPI
// ranks, the table and the plot, and the whatif binary end to end.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "planner/whatif.h"

namespace ptsim {
namespace {

std::vector<std::string> expand(const std::string& text, SweepKind kind) {
  auto r = expand_sweep(text, "--flag", kind);
  EXPECT_TRUE(r.ok()) << r.error().one_line();
  return r.ok() ? *r : std::vector<std::string>{};
}

TEST(UnitWhatIfSweep, ListsAndRangesExpandInclusively) {
  using V = std::vector<std::string>;
  EXPECT_EQ(expand("256:4096:x2", SweepKind::integer), (V{"256", "512", "1024", "2048", "4096"}));
  EXPECT_EQ(expand("2048:8192:+2048", SweepKind::integer), (V{"2048", "4096", "6144", "8192"}));
  EXPECT_EQ(expand("1:3:1", SweepKind::integer), (V{"1", "2", "3"}));
  EXPECT_EQ(expand("100:1000:x3", SweepKind::integer), (V{"100", "300", "900"}));  // stop excluded
  EXPECT_EQ(expand("8, 16,32", SweepKind::integer), (V{"8", "16", "32"}));
  EXPECT_EQ(expand("h100-sxm,b200", SweepKind::name), (V{"h100-sxm", "b200"}));
  // Each point once: a repeated value, or integers a small factor rounds to more than once.
  EXPECT_EQ(expand("h100-sxm,b200,h100-sxm", SweepKind::name), (V{"h100-sxm", "b200"}));
  EXPECT_EQ(expand("16,8,16", SweepKind::integer), (V{"16", "8"}));
  EXPECT_EQ(expand("1:3:x1.1", SweepKind::integer), (V{"1", "2", "3"}));
  EXPECT_EQ(expand("100Gb/s:800Gb/s:x2", SweepKind::bandwidth),
            (V{"100Gb/s", "200Gb/s", "400Gb/s", "800Gb/s"}));
  EXPECT_EQ(expand("200GB/s:600GB/s:+200", SweepKind::bandwidth),
            (V{"200GB/s", "400GB/s", "600GB/s"}));
}

TEST(UnitWhatIfSweep, BadSweepsNameTheFlag) {
  for (const auto& [text, kind] : std::vector<std::pair<std::string, SweepKind>>{
           {"4096:256:x2", SweepKind::integer},  // ends before it starts
           {"256:4096:x1", SweepKind::integer},  // no progress
           {"256:4096:+0", SweepKind::integer},  // no progress
           {"256:4096", SweepKind::integer},     // no step
           {"0,8", SweepKind::integer},          // not positive
           {"8,,16", SweepKind::integer},        // empty value
           {"1:100000:1", SweepKind::integer},   // too many points
           {"a:b:x2", SweepKind::name},          // names take lists only
           {"400", SweepKind::bandwidth},        // bandwidths need a unit
       }) {
    auto r = expand_sweep(text, "--gpus", kind);
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().source, "--gpus") << text;
  }
}

TEST(UnitWhatIfSweep, PointsAreTheProductWithTheFirstAxisSlowest) {
  const std::vector<SweepAxis> axes = {{"--gpus", {"8", "16"}}, {"--gpu", {"a", "b", "c"}}};
  const auto points = sweep_points(axes);
  ASSERT_EQ(points.size(), 6u);
  EXPECT_EQ(points[0], (SweepPoint{"8", "a"}));
  EXPECT_EQ(points[2], (SweepPoint{"8", "c"}));
  EXPECT_EQ(points[3], (SweepPoint{"16", "a"}));
}

TEST(UnitWhatIfRows, RowsSurviveTheTripAsJsonExactly) {
  WhatIfRow r;
  r.point = {"512", "h100-sxm"};
  r.ok = true;
  r.gpus = 512;
  r.gpu = "h100-sxm";
  r.layout = "tp8 pp4x5 dp16 mb1 z1 sel interleaved";
  r.step_time_s = 33.376123456789012;
  r.tokens_per_s = 502636.1234567;
  r.mfu = 0.4761;
  r.peak_memory_bytes = 41866788864.5;
  r.time_to_train_s = 1.0 / 3.0;
  r.gpu_hours = 1e300;
  auto back = row_from_json(row_to_json(r));
  ASSERT_TRUE(back.ok()) << back.error().one_line();
  EXPECT_EQ(row_to_json(*back), row_to_json(r));
  EXPECT_EQ(back->step_time_s, r.step_time_s);
  EXPECT_EQ(back->time_to_train_s, r.time_to_train_s);
  EXPECT_FALSE(row_from_json("{\"ok\": true}").ok());
}

TEST(UnitWhatIfRows, TableHasOneColumnPerAxisAndFailedPointsSayWhy) {
  const std::vector<SweepAxis> axes = {{"--gpu", {"h100-sxm", "a100-40g"}}};
  WhatIfRow ok;
  ok.point = {"h100-sxm"};
  ok.ok = true;
  ok.gpus = 64;
  ok.layout = "tp1 pp1 dp64 mb1 z1 none";
  ok.step_time_s = 10;
  ok.tokens_per_s = 1e6;
  ok.time_to_train_s = 86400 * 2;
  ok.gpu_hours = 64 * 48;
  WhatIfRow bad;
  bad.point = {"a100-40g"};
  bad.gpus = 64;
  bad.error = "no configuration fits in 37.3 GiB per GPU";
  const Table t = whatif_table(axes, {ok, bad}, 1e12);
  ASSERT_EQ(t.header.front(), "gpu");
  ASSERT_EQ(t.header[1], "gpus");  // not swept, so shown
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0][7], "2.00");  // days
  EXPECT_EQ(t.rows[1][2], "no plan: no configuration fits in 37.3 GiB per GPU");
  EXPECT_EQ(t.rows[1][3], "-");
  const PlotSpec plot = whatif_plot(axes, {ok, bad}, "70b", 1e12);
  ASSERT_EQ(plot.series.size(), 2u);  // one line per GPU type
  EXPECT_EQ(plot.series[0].name, "gpu h100-sxm");
  EXPECT_EQ(plot.series[0].points.size(), 1u);
  EXPECT_TRUE(plot.series[1].points.empty());  // did not fit: left out
  EXPECT_TRUE(plot.log_x && plot.log_y);
}

std::pair<int, std::string> run_whatif(const std::string& args) {
  const std::string cmd = std::string(PTSIM_BINARY_DIR) + "/whatif " + args + " 2>&1";
  std::string out;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  std::array<char, 4096> buf{};
  while (std::fgets(buf.data(), static_cast<int>(buf.size()), pipe) != nullptr)
    out += buf.data();
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST(UnitWhatIfTool, SweepsPrintOneRowPerPoint) {
  const auto [code, out] =
      run_whatif("--model 8b --gpus 8,16 --seq-len 2048,4096 --global-batch 64 --tokens 1e12");
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("# gpus  seq-len"), std::string::npos) << out;
  int rows = 0;
  for (std::size_t at = 0; (at = out.find("\n  ", at)) != std::string::npos; ++at)
    ++rows;
  EXPECT_EQ(rows, 4) << out;
}

TEST(UnitWhatIfTool, BadInputsAnswerOneLineAndExitTwo) {
  for (const auto& [args, expected] : std::vector<std::pair<std::string, std::string>>{
           {"--gpus 8", "--model"},
           {"--model 8b", "--gpus: the number of GPUs is required"},
           {"--model 8b --gpus 8:4:x2", "--gpus"},
           {"--model 8b --gpus 8 --gpu no-such-gpu", "no-such-gpu"},
           {"--model 8b --gpus 8 --tokens -1", "--tokens"},
           {"--model 8b --gpus 8 --nic-bandwidth 400", "--nic-bandwidth"},
       }) {
    const auto [code, out] = run_whatif(args);
    EXPECT_EQ(code, 2) << args << ": " << out;
    EXPECT_EQ(out.find('\n'), out.size() - 1) << args << ": " << out;
    EXPECT_NE(out.find(expected), std::string::npos) << args << ": " << out;
  }
}

}  // namespace
}  // namespace ptsim
