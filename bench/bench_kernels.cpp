// Native kernel benchmarks (Google Benchmark): GEMM at the layer shapes of NetA / NetB / LeNet-5
// and convolution forward and backward, each with GFLOP/s. The scalar reference is timed in the
// same run, so the figures to read are the ratios. Run: npm run bench:native
#include <benchmark/benchmark.h>

#include "core/rng.h"
#include "kernels/gemm.h"
#include "nn/layers/conv2d.h"

using namespace cnn;

static void fill(std::vector<float>& v, Rng& r) {
  for (float& x : v) x = r.uniform(-1.0f, 1.0f);
}

// GEMM M x N x K as conv forward sees it: M = filters, N = OH*OW, K = C*F*F.
template <bool Reference>
static void BM_gemm(benchmark::State& st) {
  const int M = static_cast<int>(st.range(0)), N = static_cast<int>(st.range(1)), K = static_cast<int>(st.range(2));
  std::vector<float> a(static_cast<std::size_t>(M) * K), b(static_cast<std::size_t>(K) * N),
      c(static_cast<std::size_t>(M) * N);
  Rng r(1);
  fill(a, r);
  fill(b, r);
  for (auto _ : st) {
    if (Reference)
      kernels::gemm_f32_scalar(false, false, M, N, K, a.data(), K, b.data(), N, 0.0f, c.data(), N);
    else
      kernels::gemm_f32(false, false, M, N, K, a.data(), K, b.data(), N, 0.0f, c.data(), N);
    benchmark::DoNotOptimize(c.data());
  }
  st.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * M * N * K, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
// NetA conv1 (8x784x25), conv2 (16x196x200); NetB conv1 (32x676x9), conv2 (64x576x288); LeNet-5 conv2 (16x100x150).
#define GEMM_SHAPES \
  ->Args({8, 784, 25})->Args({16, 196, 200})->Args({32, 676, 9})->Args({64, 576, 288})->Args({16, 100, 150})
BENCHMARK_TEMPLATE(BM_gemm, true) GEMM_SHAPES;
BENCHMARK_TEMPLATE(BM_gemm, false) GEMM_SHAPES;

// NetB's second convolution (32 -> 64 channels, 3x3, 26x26 input), batch 8: forward, and backward
// (gradients for the input and the filters).
static void BM_conv_netb2(benchmark::State& st) {
  const bool backward = st.range(0) != 0;
  Conv2D conv({{"type", "conv2d"}, {"filters", 64}, {"kernel", 3}});
  conv.infer({{32, 26, 26}});
  Rng r(2);
  Tensor x = zeros({8, 32, 26, 26}), y, dx;
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = r.uniform(-1.0f, 1.0f);
  conv.forward({&x}, y, true);
  Tensor dy = y;
  for (auto _ : st) {
    if (backward)
      conv.backward({&x}, y, dy, {&dx});
    else
      conv.forward({&x}, y, true);
  }
  const double flops = 2.0 * conv.macs() * 8 * (backward ? 2 : 1);
  st.counters["GFLOP/s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_conv_netb2)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
