#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace cnn {

#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)

void set_num_threads(int) {}
int num_threads() { return 1; }
void parallel_for(int tasks, TaskRef f) {
  for (int t = 0; t < tasks; ++t) f(t);
}

#else

namespace {

class Pool {
 public:
  explicit Pool(int threads) {
    for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { loop(); });
  }
  ~Pool() {
    {
      std::lock_guard<std::mutex> l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
  }
  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Runs the job and returns once every task has run and no worker is still inside it: a worker
  // joins a job only under the lock while the job is posted, and run() withdraws the job under
  // the same lock once the last of them has left, so a worker that wakes late can never take a
  // task (or a task index) of the next job.
  void run(int tasks, TaskRef f) {
    {
      std::lock_guard<std::mutex> l(m_);
      job_ = &f;
      tasks_ = tasks;
      next_.store(0);
      ++generation_;
    }
    cv_.notify_all();
    work(f, tasks);  // the calling thread takes part
    std::unique_lock<std::mutex> l(m_);
    done_cv_.wait(l, [this] { return active_ == 0; });
    job_ = nullptr;
  }

 private:
  void work(const TaskRef& f, int tasks) {
    int t;
    while ((t = next_.fetch_add(1)) < tasks) f(t);
  }
  void loop() {
    inside_ = true;
    long seen = 0;
    for (;;) {
      const TaskRef* job;
      int tasks;
      {
        std::unique_lock<std::mutex> l(m_);
        cv_.wait(l, [&] { return stop_ || generation_ != seen; });
        if (stop_) return;
        seen = generation_;
        if (!job_) continue;
        job = job_;
        tasks = tasks_;
        ++active_;
      }
      work(*job, tasks);
      std::lock_guard<std::mutex> l(m_);
      if (--active_ == 0) done_cv_.notify_all();
    }
  }

 public:
  static thread_local bool inside_;

 private:
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  const TaskRef* job_ = nullptr;  // the posted job, or null between jobs
  int tasks_ = 0, active_ = 0;    // active_: workers inside the posted job
  std::atomic<int> next_{0};
  long generation_ = 0;
  bool stop_ = false;
};
thread_local bool Pool::inside_ = false;

int default_threads() {
  const int hw = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(hw, 1, 8);
}

std::mutex g_pool_mutex;
int g_threads = 0;
Pool* g_pool = nullptr;

Pool& pool() {
  std::lock_guard<std::mutex> l(g_pool_mutex);
  if (g_threads == 0) g_threads = default_threads();
  if (!g_pool || g_pool->size() != g_threads) {
    delete g_pool;
    g_pool = new Pool(g_threads);
  }
  return *g_pool;
}

}  // namespace

void set_num_threads(int n) {
  std::lock_guard<std::mutex> l(g_pool_mutex);
  g_threads = std::clamp(n, 1, 64);
}

int num_threads() {
  std::lock_guard<std::mutex> l(g_pool_mutex);
  return g_threads == 0 ? default_threads() : g_threads;
}

void parallel_for(int tasks, TaskRef f) {
  if (tasks <= 1 || Pool::inside_ || num_threads() == 1) {
    for (int t = 0; t < tasks; ++t) f(t);
    return;
  }
  // One caller at a time uses the pool; the caller marks itself so nested calls run inline.
  static std::mutex run_mutex;
  std::lock_guard<std::mutex> l(run_mutex);
  Pool::inside_ = true;
  pool().run(tasks, f);
  Pool::inside_ = false;
}

#endif

}  // namespace cnn
