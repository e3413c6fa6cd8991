// The planner's thread pool (planner/thread_pool.h): a task that throws does not end the process
// from its worker; the waiting thread receives the exception once every task has finished.
#include <gtest/gtest.h>

#include <atomic>
#include <new>
#include <stdexcept>

#include "planner/thread_pool.h"

namespace ptsim {
namespace {

TEST(UnitThreadPool, EveryTaskRunsAndWaitIdleReturnsWhenTheyHaveFinished) {
  ThreadPool pool(3);
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i)
    pool.submit([&] { ++ran; });
  pool.wait_idle();
  EXPECT_EQ(ran.load(), 100);
}

TEST(UnitThreadPool, ATasksExceptionIsRethrownByWaitIdleAfterTheOtherTasksRan) {
  ThreadPool pool(2);
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) {
    pool.submit([&, i] {
      if (i == 10) throw std::bad_alloc();
      ++ran;
    });
  }
  EXPECT_THROW(pool.wait_idle(), std::bad_alloc);
  EXPECT_EQ(ran.load(), 49);
  // Rethrown once: the pool is usable again.
  pool.submit([&] { ++ran; });
  EXPECT_NO_THROW(pool.wait_idle());
  EXPECT_EQ(ran.load(), 50);
}

TEST(UnitThreadPool, OfSeveralThrowingTasksOneExceptionReachesTheWaiter) {
  ThreadPool pool(2);
  for (int i = 0; i < 8; ++i)
    pool.submit([] { throw std::runtime_error("task failed"); });
  EXPECT_THROW(pool.wait_idle(), std::runtime_error);
  EXPECT_NO_THROW(pool.wait_idle());
}

}  // namespace
}  // namespace ptsim
