#include "core/parallel.h"

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
      stop_flag_.store(true);
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
    bool wake;
    {
      std::lock_guard<std::mutex> l(m_);
      job_ = &f;
      tasks_ = tasks;
      next_.store(0);
      generation_.fetch_add(1);
      wake = sleepers_ > 0;
    }
    if (wake) cv_.notify_all();  // workers still spinning see the new generation by themselves
    work(f, tasks);              // the calling thread takes part
    // Wait for the workers inside the job: spin briefly (jobs are short), then sleep.
    for (int i = 0; i < kSpin && active_.load() != 0; ++i) relax();
    std::unique_lock<std::mutex> l(m_);
    waiting_ = true;
    done_cv_.wait(l, [this] { return active_.load() == 0; });
    waiting_ = false;
    job_ = nullptr;
  }

 private:
  // Spinning before sleeping: in the wasm pthreads build a wake-up through the futex costs far more
  // than a training step's short kernels (NetA in Chromium: 2 threads were 1.2x one thread).
  static constexpr int kSpin = 1 << 14;
  static void relax() {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
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
      for (int i = 0; i < kSpin && generation_.load() == seen && !stop_flag_.load(); ++i) relax();
      {
        std::unique_lock<std::mutex> l(m_);
        ++sleepers_;
        cv_.wait(l, [&] { return stop_ || generation_.load() != seen; });
        --sleepers_;
        if (stop_) return;
        seen = generation_.load();
        if (!job_) continue;
        job = job_;
        tasks = tasks_;
        active_.fetch_add(1);
      }
      work(*job, tasks);
      std::lock_guard<std::mutex> l(m_);
      if (active_.fetch_sub(1) == 1 && waiting_) done_cv_.notify_all();
    }
  }

 public:
  static thread_local bool inside_;

 private:
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_, done_cv_;
  const TaskRef* job_ = nullptr;  // the posted job, or null between jobs
  int tasks_ = 0;
  std::atomic<int> active_{0};  // workers inside the posted job (changed under the lock)
  std::atomic<int> next_{0};
  std::atomic<long> generation_{0};  // changed under the lock
  int sleepers_ = 0;                 // workers blocked on cv_
  bool waiting_ = false;             // run() blocked on done_cv_
  bool stop_ = false;
  std::atomic<bool> stop_flag_{false};
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
