// No allocation inside the training step after the first iterations: every operator new of the
// test program is counted, and steps of a Trainer (forward, loss, backward, regularization,
// optimizer, batch assembly with augmentation) must add none. Natively and in the wasm build.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#include "core/parallel.h"
#include "test_util.h"
#include "train/trainer.h"

namespace {
std::atomic<long> g_news{0};
volatile bool g_armed = false;
// To see who allocates: gdb build/native/cnn_tests, "break alloc_hook", run --gtest_filter=Alloc*.
__attribute__((noinline)) void alloc_hook() { asm volatile(""); }
}  // namespace

// Every replaceable form is replaced, on one allocator (malloc / aligned_alloc, released by free):
// replacing only some would pair, say, the library's operator new[] with our operator delete,
// which AddressSanitizer rightly reports as alloc-dealloc-mismatch. Array, aligned and nothrow
// allocations are counted like the plain ones.
namespace {
void* counted_alloc(std::size_t n, std::size_t align) noexcept {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (g_armed) alloc_hook();
  if (n == 0) n = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(n);
  // aligned_alloc wants a size that is a multiple of the alignment (a power of two).
  if (n > SIZE_MAX - (align - 1)) return nullptr;
  return std::aligned_alloc(align, (n + align - 1) & ~(align - 1));
}
void* counted_alloc_or_throw(std::size_t n, std::size_t align) {
  if (void* p = counted_alloc(n, align)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc_or_throw(n, 0); }
void* operator new[](std::size_t n) { return counted_alloc_or_throw(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_alloc_or_throw(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) {
  return counted_alloc_or_throw(n, static_cast<std::size_t>(a));
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace cnn::test {

static Dataset noise(std::size_t n, std::uint32_t seed) {
  Dataset d;
  d.n = n, d.c = 1, d.h = 12, d.w = 12, d.num_classes = 3;
  Rng r(seed);
  for (std::size_t i = 0; i < n; ++i) {
    d.labels.push_back(static_cast<int>(r.below(3)));
    for (int k = 0; k < 144; ++k) d.pixels.push_back(static_cast<std::uint8_t>(r.below(256)));
  }
  return d;
}

// One thread: each pool thread allocates its GEMM packing panels once, at its first GEMM, and
// which threads take part in the first steps depends on timing.
TEST(Allocation, NoneInsideATrainingStep) {
  const int saved = num_threads();
  set_num_threads(1);
  // Every layer kind a zoo net uses on the hot path, a branch (add, concat) and a frozen layer.
  Model m = Model::from_string(R"({"input":[1,12,12],"seed":3,"layers":[
    {"type":"conv2d","name":"c1","filters":8,"kernel":3,"pad":1},{"type":"batchnorm","name":"bn1"},
    {"type":"relu","name":"r1"},
    {"type":"conv2d","name":"c2","filters":8,"kernel":1},{"type":"relu","name":"r2"},
    {"type":"add","name":"sum","inputs":["r1","r2"]},
    {"type":"depthwise_conv2d","name":"dw","kernel":3,"pad":1,"inputs":["sum"]},
    {"type":"concat","name":"cat","inputs":["sum","dw"]},
    {"type":"maxpool2d","size":2},{"type":"dropout","p":0.2},
    {"type":"dense","name":"fc","units":3}]})");
  const Dataset train = noise(256, 1);
  Preprocess pre;
  for (const char* opt : {"sgd", "adam", "rmsprop"}) {
    TrainConfig cfg = TrainConfig::from_json({{"epochs", 1},
                                              {"batch", 16},
                                              {"optimizer", {{"type", opt}, {"lr", 1e-3}}},
                                              {"l2", 1e-4},
                                              {"freeze", {"c2"}},
                                              {"augment", {{"translate", 1}, {"brightness", 0.1}}}});
    Trainer t(m, train, nullptr, pre, cfg);
    EXPECT_TRUE(t.run(2));  // the first iterations size the workspaces
    const long before = g_news.load();
    g_armed = true;
    EXPECT_TRUE(t.run(8));  // within the epoch (16 iterations)
    g_armed = false;
    EXPECT_EQ(g_news.load() - before, 0) << "allocations in 6 training steps with " << opt;
  }
  set_num_threads(saved);
}

}  // namespace cnn::test
