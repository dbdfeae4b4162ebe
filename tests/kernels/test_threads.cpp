// Across the kernel families: a whole training step gives the same bits with any number of threads
// (threads always take disjoint outputs), and the pool runs every task exactly once.
#include <atomic>

#include "core/parallel.h"
#include "nn/loss.h"
#include "test_util.h"
#include "train/optim/optimizer.h"

namespace cnn::test {

// A whole training step (conv, relu, leaky, avg/max pool, batch norm, dense, adam) gives the same
// parameters with 1 and 2 threads.
TEST(KernelThreads, TrainingStepIdenticalForAnyThreadCount) {
  auto run = [](int threads) {
    const int saved = num_threads();
    set_num_threads(threads);
    Model m = Model::from_string(R"({"input":[3,20,20],"seed":4,"layers":[
      {"type":"conv2d","filters":16,"kernel":3,"pad":1},{"type":"batchnorm"},{"type":"relu"},
      {"type":"maxpool2d","size":2},{"type":"conv2d","filters":24,"kernel":3,"pad":1},{"type":"leaky_relu"},
      {"type":"avgpool2d","size":2},{"type":"dense","units":32},{"type":"tanh"},{"type":"dense","units":10}]})");
    auto opt = make_optimizer(json{{"type", "adam"}, {"lr", 0.01}});
    Rng rr(9);
    const Tensor x = random_tensor({24, 3, 20, 20}, rr);
    std::vector<int> y(24);
    for (int& v : y) v = static_cast<int>(rr.below(10));
    Tensor g;
    for (int s = 0; s < 3; ++s) {
      m.zero_grad();
      softmax_cross_entropy(m.forward(x, true), y, &g);
      m.backward(g);
      opt->step(m.params());
    }
    std::vector<float> out;
    for (auto& p : m.params()) out.insert(out.end(), p.value->data(), p.value->data() + p.value->size());
    set_num_threads(saved);
    return out;
  };
  EXPECT_EQ(run(1), run(2));
}

// The pool under stress: many short jobs of varying size back to back, where a worker that wakes
// late for one job must not take part in the next one. Every task runs exactly once per call.
TEST(KernelThreads, EveryTaskRunsOncePerCall) {
  const int saved = num_threads();
  for (int threads : {2, 3, 4}) {
    set_num_threads(threads);
    std::vector<std::atomic<int>> hits(16);
    for (int call = 0; call < 20000; ++call) {
      const int tasks = 2 + call % 15;
      for (int t = 0; t < tasks; ++t) hits[static_cast<std::size_t>(t)].store(0);
      parallel_for(tasks, [&](int t) { hits[static_cast<std::size_t>(t)].fetch_add(1); });
      for (int t = 0; t < tasks; ++t)
        ASSERT_EQ(hits[static_cast<std::size_t>(t)].load(), 1) << "call " << call << " task " << t;
    }
  }
  set_num_threads(saved);
}

}  // namespace cnn::test
