// A fixed set of worker threads running submitted tasks in submission order (each task on
// whichever worker is free). The planner simulates candidates on it; each simulation builds its
// own graph and network state, and shares only read-only inputs (model, cluster, topology).
// Results must not depend on which worker ran what: callers store each task's result in its own
// slot and combine them in a fixed order. A task that throws (out of memory building a graph) does
// not end the process from its worker: the first such exception is rethrown by wait_idle(), once
// every submitted task has finished, on the thread that waits.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ptsim {

class ThreadPool {
 public:
  // `threads` < 1 means one per hardware thread.
  explicit ThreadPool(int threads);
  ~ThreadPool();  // finishes the queued tasks, then joins
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()); }
  void submit(std::function<void()> task);
  void wait_idle();  // until every submitted task has finished; rethrows a task's exception

  static int hardware_threads();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> queue_;
  int running_ = 0;
  bool stopping_ = false;
  std::exception_ptr failure_;  // the first exception a task threw, until wait_idle rethrows it
  std::vector<std::thread> workers_;
};

}  // namespace ptsim
