// The few-taps filter gradient (filter_grad.h).
#include "kernels/conv/filter_grad.h"

#include "kernels/simd.h"

namespace cnn::kernels {

void conv_filter_grad_taps_f32_scalar(int M, int T, int P, const float* dy, const float* x, const std::ptrdiff_t* rows,
                                      float beta, float* out, int sm, int st) {
  for (int m = 0; m < M; ++m)
    for (int t = 0; t < T; ++t) {
      const float* d = dy + static_cast<std::ptrdiff_t>(m) * P;
      const float* xa = x + rows[t];
      float s = 0.0f;
      for (int p = 0; p < P; ++p) s += d[p] * xa[p];
      float& o = out[static_cast<std::ptrdiff_t>(m) * sm + static_cast<std::ptrdiff_t>(t) * st];
      o = s + (beta != 0.0f ? beta * o : 0.0f);
    }
}

// Four filters by two taps at a time: per four pixels, four dY and two input vectors feed eight
// accumulators (the register budget of the GEMM's 4 x 8 tile), nothing packed.
void conv_filter_grad_taps_f32(int M, int T, int P, const float* dy, const float* x, const std::ptrdiff_t* rows,
                               float beta, float* out, int sm, int st) {
  auto put = [&](int m, int t, float v) {
    float& o = out[static_cast<std::ptrdiff_t>(m) * sm + static_cast<std::ptrdiff_t>(t) * st];
    o = v + (beta != 0.0f ? beta * o : 0.0f);
  };
  int m = 0;
  for (; m + 4 <= M; m += 4) {
    const float* d0 = dy + static_cast<std::ptrdiff_t>(m) * P;
    const float *d1 = d0 + P, *d2 = d1 + P, *d3 = d2 + P;
    for (int t = 0; t < T; t += 2) {
      const bool two = t + 1 < T;
      const float* xa = x + rows[t];
      const float* xb = two ? x + rows[t + 1] : xa;
      f32x4 a0 = f32x4_zero(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
      int p = 0;
      for (; p + 4 <= P; p += 4) {
        const f32x4 u = f32x4_load(xa + p), v = f32x4_load(xb + p);
        const f32x4 e0 = f32x4_load(d0 + p), e1 = f32x4_load(d1 + p), e2 = f32x4_load(d2 + p), e3 = f32x4_load(d3 + p);
        a0 = f32x4_madd(e0, u, a0);
        a1 = f32x4_madd(e1, u, a1);
        a2 = f32x4_madd(e2, u, a2);
        a3 = f32x4_madd(e3, u, a3);
        b0 = f32x4_madd(e0, v, b0);
        b1 = f32x4_madd(e1, v, b1);
        b2 = f32x4_madd(e2, v, b2);
        b3 = f32x4_madd(e3, v, b3);
      }
      float sa[4] = {f32x4_sum(a0), f32x4_sum(a1), f32x4_sum(a2), f32x4_sum(a3)};
      float sb[4] = {f32x4_sum(b0), f32x4_sum(b1), f32x4_sum(b2), f32x4_sum(b3)};
      for (; p < P; ++p) {
        const float* d[4] = {d0, d1, d2, d3};
        for (int q = 0; q < 4; ++q) {
          sa[q] += d[q][p] * xa[p];
          sb[q] += d[q][p] * xb[p];
        }
      }
      for (int q = 0; q < 4; ++q) {
        put(m + q, t, sa[q]);
        if (two) put(m + q, t + 1, sb[q]);
      }
    }
  }
  for (; m < M; ++m) {
    const float* d = dy + static_cast<std::ptrdiff_t>(m) * P;
    for (int t = 0; t < T; ++t) {
      const float* xa = x + rows[t];
      f32x4 a = f32x4_zero();
      int p = 0;
      for (; p + 4 <= P; p += 4) a = f32x4_madd(f32x4_load(d + p), f32x4_load(xa + p), a);
      float r = f32x4_sum(a);
      for (; p < P; ++p) r += d[p] * xa[p];
      put(m, t, r);
    }
  }
}

}  // namespace cnn::kernels
