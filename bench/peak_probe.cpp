// The single-core f32 peak of WebAssembly SIMD128 on this machine, measured in the page's own
// worker: CHAINS independent chains of f32x4 multiply-then-add (no FMA: SIMD128 has none), so
// 8 FLOP per chain and iteration. The loop lives in a function that JS calls many times, so V8
// tiers it up (no on-stack replacement; docs/TOOLCHAIN.md).
//   peak_probe_flops_per_iter() -> FLOP done by one iteration of peak_probe's loop
//   peak_probe(iters, seed)     -> a value depending on every chain (keeps the work alive)
#include <wasm_simd128.h>

namespace {
constexpr int CHAINS = 12;
}

extern "C" {

__attribute__((used)) int peak_probe_flops_per_iter() { return CHAINS * 4 * 2; }

__attribute__((used, noinline)) float peak_probe(int iters, float seed) {
  v128_t acc[CHAINS];
  for (int c = 0; c < CHAINS; ++c) acc[c] = wasm_f32x4_splat(seed + 0.01f * static_cast<float>(c));
  const v128_t m = wasm_f32x4_splat(0.999f);
  const v128_t a = wasm_f32x4_splat(0.001f);
  for (int i = 0; i < iters; ++i) {
#pragma clang loop unroll(full)
    for (int c = 0; c < CHAINS; ++c) acc[c] = wasm_f32x4_add(wasm_f32x4_mul(acc[c], m), a);
  }
  v128_t s = acc[0];
  for (int c = 1; c < CHAINS; ++c) s = wasm_f32x4_add(s, acc[c]);
  return wasm_f32x4_extract_lane(s, 0) + wasm_f32x4_extract_lane(s, 1) + wasm_f32x4_extract_lane(s, 2) +
         wasm_f32x4_extract_lane(s, 3);
}
}
