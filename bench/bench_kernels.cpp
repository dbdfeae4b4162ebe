// Native kernel benchmarks (Google Benchmark), registered from the list the kernel tests use
// (tests/kernels/kernel_cases.h): for each kernel and each of its benchmark shapes (the layers of
// NetA, NetB and LeNet-5), the fast kernel and its reference, timed in the same run, so the figures
// to read are the ratios. Named <kernel>/<shape>/fast or /reference; the shape's numbers are those
// of the case's dims (printed in the benchmark's label). Run: npm run bench:native
#include <benchmark/benchmark.h>

#include "../tests/kernels/kernel_cases.h"

using namespace cnn;
using namespace cnn::kernel_cases;

int main(int argc, char** argv) {
  for (const Case& c : all())
    for (const Dims& d : c.bench)
      for (bool reference : {false, true}) {
        std::string name = c.kernel;
        for (std::size_t i = 0; i < d.size(); ++i) name += (i == 0 ? "/" : "x") + std::to_string(d[i]);
        name += reference ? "/reference" : "/fast";
        benchmark::RegisterBenchmark(name.c_str(), [&c, d, reference](benchmark::State& st) {
          Rng r(1);
          const Problem p = c.make(d, r);
          Buffers b = p.buf;
          for (auto _ : st) {
            p.run(b, reference);
            benchmark::ClobberMemory();
          }
          st.SetLabel(c.dims);
          st.SetItemsProcessed(static_cast<std::int64_t>(st.iterations() * p.items));
          if (p.flops > 0)
            st.counters["GFLOP/s"] =
                benchmark::Counter(p.flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
        });
      }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
