// The one list of kernels: for each fast kernel, its reference, the shapes the tests compare the two
// on (tile edges, odd sizes, tails) and the shapes the benchmark times (the nets' layers). Each
// tests/kernels/test_<family>.cpp runs the cases of its family (kernel_test.h), and
// bench/bench_kernels.cpp registers a benchmark of the fast kernel and of its reference for each
// benchmark shape, so a kernel added here is tested and benchmarked (as XNNPACK's .inc lists are).
//
// A case builds a Problem for a shape: the buffers (inputs, and outputs poisoned with NaN where the
// kernel must write them completely), and a call of the fast kernel or of the reference on a copy
// of them. Kernels without a fast/reference pair of their own (lowering, stride-1, depthwise) are
// covered through conv2d_forward_f32 / conv2d_backward_f32, whose test shapes reach every algorithm.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "core/rng.h"
#include "kernels/conv/conv2d.h"
#include "kernels/conv/filter_grad.h"
#include "kernels/eltwise/activation.h"
#include "kernels/eltwise/batchnorm.h"
#include "kernels/eltwise/bias.h"
#include "kernels/gemm/gemm.h"
#include "kernels/optim/adam.h"
#include "kernels/optim/adaptive.h"
#include "kernels/optim/sgd.h"
#include "kernels/pool/pool.h"

namespace cnn::kernel_cases {

using Dims = std::vector<int>;
using Buffers = std::vector<std::vector<float>>;

struct Problem {
  Buffers buf;                   // the initial contents of every buffer
  std::vector<std::size_t> out;  // the buffers the kernel writes: compared
  std::function<void(Buffers& b, bool reference)> run;
  float tol = 0.0f;    // 0: bit-identical to the reference; else the largest |difference| allowed
  double flops = 0.0;  // floating-point operations of one run (0: the benchmark reports items only)
  double items = 0.0;  // elements one run produces (the benchmark's items/s)
};

struct Case {
  const char* family;     // gemm, conv, pool, eltwise, optim: tests/kernels/test_<family>.cpp
  const char* kernel;     // the fast kernel
  const char* reference;  // what it is compared with
  const char* dims;       // the meaning of a shape's numbers
  std::vector<Dims> test, bench;
  std::function<Problem(const Dims&, Rng&)> make;
};

inline std::vector<float> randv(std::size_t n, Rng& r, float lo = -1.0f, float hi = 1.0f) {
  std::vector<float> v(n);
  for (float& x : v) x = r.uniform(lo, hi);
  return v;
}
inline std::vector<float> nans(std::size_t n) { return std::vector<float>(n, std::nanf("")); }

inline std::string shape_name(const Case& c, const Dims& d) {
  std::string s = c.dims;
  s += " =";
  for (int v : d) s += " " + std::to_string(v);
  return s;
}

// Runs the reference once and the fast kernel with 1 and 3 threads; "" when every output agrees,
// else where the first one does not.
inline std::string check(const Case& c, const Dims& d, std::uint32_t seed) {
  Rng r(seed);
  const Problem p = c.make(d, r);
  Buffers want = p.buf;
  p.run(want, true);
  const int saved = num_threads();
  std::string err;
  for (int threads : {1, 3}) {
    set_num_threads(threads);
    Buffers got = p.buf;
    p.run(got, false);
    for (std::size_t o : p.out)
      for (std::size_t i = 0; i < got[o].size() && err.empty(); ++i) {
        const float a = got[o][i], b = want[o][i];
        const bool ok = p.tol == 0.0f ? a == b : std::fabs(a - b) <= p.tol;
        if (!ok)
          err = std::string(c.kernel) + " (" + shape_name(c, d) + ", " + std::to_string(threads) +
                " threads): output " + std::to_string(o) + "[" + std::to_string(i) + "] = " + std::to_string(a) + ", " +
                c.reference + " " + std::to_string(b);
      }
    if (!err.empty()) break;
  }
  set_num_threads(saved);
  return err;
}

// ----------------------------------------------------------------------------- shapes

// Sizes around the SIMD width and the parallel grain (16384 elements per task).
inline std::vector<Dims> element_sizes(std::vector<int> flags = {}) {
  std::vector<Dims> v;
  for (int n : {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1023, 16385, 40001}) {
    if (flags.empty()) v.push_back({n});
    for (int f : flags) v.push_back({n, f});
  }
  return v;
}
// Two flags (0/1 each) after n.
inline std::vector<Dims> element_sizes2() {
  std::vector<Dims> v;
  for (const Dims& d : element_sizes({0, 1}))
    for (int f : {0, 1}) v.push_back({d[0], d[1], f});
  return v;
}

inline std::vector<Dims> gemm_shapes() {
  std::vector<Dims> v;
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb)
      for (int beta : {0, 1})
        for (int M : {1, 2, 3, 4, 5, 7, 8, 13, 15, 16, 17, 31, 33, 64, 65, 100})
          for (int N : {1, 4, 15, 16, 17, 40, 77})
            for (int K : {1, 3, 16, 25, 255, 256, 257, 600}) {
              if ((M * N * K) % 7 != 0 && M > 5 && K > 16) continue;  // thin the grid, keep every edge kind
              v.push_back({ta, tb, beta, M, N, K});
            }
  return v;
}

// N C H W K FH FW S P G: each reaches one of conv2d_plan's choices (test_conv.cpp checks all are).
inline std::vector<Dims> conv_shapes() {
  return {
      {2, 3, 9, 9, 5, 3, 3, 1, 1, 1},     // stride 1, padded
      {3, 1, 12, 12, 8, 5, 5, 1, 2, 1},   // a first layer: few taps
      {20, 2, 6, 6, 4, 3, 3, 1, 1, 1},    // stride 1, more than 16 images: several chunks
      {2, 2, 6, 6, 3, 2, 2, 1, 2, 1},     // padding >= filter: dx lowered
      {2, 4, 9, 8, 6, 3, 3, 2, 1, 1},     // stride 2: lowered
      {12, 2, 30, 30, 3, 3, 3, 2, 1, 1},  // lowered, several chunks of images
      {2, 2, 7, 7, 3, 3, 3, 3, 0, 1},     // the last row and column read by no window
      {2, 6, 5, 7, 4, 1, 1, 1, 0, 1},     // pointwise
      {2, 6, 5, 5, 4, 1, 1, 1, 0, 2},     // pointwise, 2 groups
      {2, 4, 8, 8, 6, 3, 3, 1, 1, 2},     // stride 1, 2 groups
      {2, 4, 9, 9, 6, 3, 3, 2, 0, 2},     // lowered, 2 groups
      {2, 3, 7, 7, 3, 3, 3, 1, 1, 3},     // depthwise
      {2, 2, 9, 8, 4, 3, 2, 1, 0, 2},     // depthwise, multiplier 2, 3x2 filters
      {1, 4, 9, 9, 4, 3, 3, 2, 1, 4},     // depthwise, stride 2
  };
}
// NetA conv1, conv2; NetB conv1, conv2 (batch 8).
inline std::vector<Dims> conv_bench_shapes() {
  return {{8, 1, 28, 28, 8, 5, 5, 1, 2, 1},
          {8, 8, 14, 14, 16, 5, 5, 1, 2, 1},
          {8, 1, 28, 28, 32, 3, 3, 1, 0, 1},
          {8, 32, 26, 26, 64, 3, 3, 1, 0, 1}};
}
inline kernels::Conv2dPlan conv_plan(const Dims& d) {
  const int C = d[1], H = d[2], W = d[3], K = d[4], FH = d[5], FW = d[6], S = d[7], P = d[8], G = d[9];
  const kernels::ConvGeom g{C / G, H, W, FH, FW, S, S, P, P, (H - FH + 2 * P) / S + 1, (W - FW + 2 * P) / S + 1};
  return kernels::conv2d_plan(g, G, K);
}

// planes H W FH FW SH SW; the last case is wider than the max pool's column buffer: its scalar path.
inline std::vector<Dims> pool_shapes() {
  const int cases[][6] = {{28, 28, 2, 2, 2, 2}, {24, 24, 2, 2, 2, 2}, {7, 9, 2, 2, 2, 2},   {5, 5, 2, 2, 2, 2},
                          {2, 2, 2, 2, 2, 2},   {3, 17, 2, 2, 2, 2},  {14, 14, 3, 3, 3, 3}, {9, 8, 3, 2, 2, 1},
                          {6, 6, 3, 3, 1, 1},   {5, 7, 1, 1, 1, 1},   {8, 11, 2, 3, 2, 3},  {7, 41, 3, 3, 2, 2},
                          {6, 30, 3, 3, 1, 1},  {5, 23, 2, 3, 2, 2},  {6, 21, 3, 2, 1, 2},  {4, 26, 2, 4, 2, 4},
                          {9, 9, 9, 9, 1, 1},   {7, 12, 3, 5, 2, 3},  {5, 600, 2, 3, 1, 3}};
  std::vector<Dims> v;
  for (const auto& k : cases)
    for (int planes : {1, 3, 70}) v.push_back({planes, k[0], k[1], k[2], k[3], k[4], k[5]});
  return v;
}

// ----------------------------------------------------------------------------- problems

// The pool input with ties, so that the "first maximum" rule matters: repeated values, and (r, c)
// equal to (r - 1, c + 1), which the row-by-row scan meets first.
inline std::vector<float> pool_input(std::size_t n, int W, Rng& r) {
  auto x = randv(n, r);
  for (std::size_t i = 1; i < n; i += 5) x[i] = x[i - 1];
  for (std::size_t i = static_cast<std::size_t>(W) + 2; i < n; i += 7) x[i] = x[i - W + 1];
  return x;
}

// planes H W FH FW SH SW -> the geometry, the input and output sizes.
struct PoolShape {
  kernels::PoolGeom g;
  int planes;
  std::size_t nx, ny;
};
inline PoolShape pool_shape(const Dims& d) {
  const kernels::PoolGeom g{d[1], d[2], d[3], d[4], d[5], d[6], (d[1] - d[3]) / d[5] + 1, (d[2] - d[4]) / d[6] + 1};
  return {g, d[0], static_cast<std::size_t>(d[0]) * g.H * g.W, static_cast<std::size_t>(d[0]) * g.OH * g.OW};
}

// An element-wise kernel of n floats: buffers from `inputs` (then the output, poisoned), run by
// fast(b) or ref(b).
template <class Fast, class Ref>
Problem elementwise(std::size_t n, Buffers inputs, std::vector<std::size_t> out, Fast fast, Ref ref) {
  Problem p;
  p.buf = std::move(inputs);
  p.out = std::move(out);
  p.run = [fast, ref](Buffers& b, bool reference) { reference ? ref(b) : fast(b); };
  p.items = static_cast<double>(n);
  return p;
}

// ----------------------------------------------------------------------------- eltwise, optim

// x for the activations: values in [-1, 1] and the boundary x = 0, where x > 0 is false.
inline std::vector<float> act_input(std::size_t n, Rng& r) {
  auto x = randv(n, r);
  if (n > 3) x[3] = 0.0f;
  return x;
}

// An activation case over n floats; inputs(n, r) gives the input buffers, then the output.
template <class Inputs, class Fast, class Ref>
Case activation(const char* kernel, const char* reference, Inputs inputs, Fast fast, Ref ref) {
  return {"eltwise",
          kernel,
          reference,
          "n",
          element_sizes(),
          {{401408}},  // a NetA conv1 output, batch 64
          [=](const Dims& d, Rng& r) {
            const std::size_t n = static_cast<std::size_t>(d[0]);
            Buffers b = inputs(n, r);
            b.push_back(nans(n));
            const std::size_t o = b.size() - 1;
            return elementwise(
                n, std::move(b), {o}, [=](Buffers& v) { fast(v, n); }, [=](Buffers& v) { ref(v, n); });
          }};
}

// An optimizer update over n parameters; the buffers are w, g, then `slots` state arrays (the
// first `nonneg` of them in [0, 0.1]: squared averages are never negative), all compared. wd is 0
// or 0.01.
template <class Fast, class Ref>
Case update(const char* kernel, const char* reference, const char* dims, int slots, int nonneg, std::vector<Dims> test,
            Fast fast, Ref ref) {
  return {"optim", kernel, reference, dims, std::move(test), {{1 << 20, 1, 1}}, [=](const Dims& d, Rng& r) {
            const std::size_t n = static_cast<std::size_t>(d[0]);
            Buffers b{randv(n, r), randv(n, r)};
            for (int s = 0; s < slots; ++s) b.push_back(s < nonneg ? randv(n, r, 0.0f, 0.1f) : randv(n, r));
            std::vector<std::size_t> out{0};
            for (int s = 0; s < slots; ++s) out.push_back(2 + static_cast<std::size_t>(s));
            return elementwise(
                n, std::move(b), std::move(out), [=](Buffers& v) { fast(v, n, d); }, [=](Buffers& v) { ref(v, n, d); });
          }};
}
inline float wd_of(const Dims& d) { return d[1] ? 0.01f : 0.0f; }

inline std::vector<Case> eltwise_and_optim_cases() {
  using namespace kernels;
  auto x_dy = [](std::size_t n, Rng& r) { return Buffers{act_input(n, r), randv(n, r)}; };
  auto y_dy = [](std::size_t n, Rng& r) { return Buffers{randv(n, r, 0.01f, 0.99f), randv(n, r)}; };
  const AdamCoeffs k{0.9f, 0.1f, 0.999f, 0.001f, 0.003f, 0.2f, 1e-8f};
  std::vector<Case> v = {
      activation(
          "relu_forward_f32", "relu_forward_f32_scalar", [](std::size_t n, Rng& r) { return Buffers{act_input(n, r)}; },
          [](Buffers& b, std::size_t n) { relu_forward_f32(b[0].data(), b[1].data(), n); },
          [](Buffers& b, std::size_t n) { relu_forward_f32_scalar(b[0].data(), b[1].data(), n); }),
      activation(
          "relu_backward_f32", "relu_backward_f32_scalar", x_dy,
          [](Buffers& b, std::size_t n) { relu_backward_f32(b[0].data(), b[1].data(), b[2].data(), n); },
          [](Buffers& b, std::size_t n) { relu_backward_f32_scalar(b[0].data(), b[1].data(), b[2].data(), n); }),
      activation(
          "leaky_relu_forward_f32", "leaky_relu_forward_f32_scalar",
          [](std::size_t n, Rng& r) { return Buffers{act_input(n, r)}; },
          [](Buffers& b, std::size_t n) { leaky_relu_forward_f32(b[0].data(), b[1].data(), n, 0.1f); },
          [](Buffers& b, std::size_t n) { leaky_relu_forward_f32_scalar(b[0].data(), b[1].data(), n, 0.1f); }),
      activation(
          "leaky_relu_backward_f32", "leaky_relu_backward_f32_scalar", x_dy,
          [](Buffers& b, std::size_t n) { leaky_relu_backward_f32(b[0].data(), b[1].data(), b[2].data(), n, 0.1f); },
          [](Buffers& b, std::size_t n) {
            leaky_relu_backward_f32_scalar(b[0].data(), b[1].data(), b[2].data(), n, 0.1f);
          }),
      activation(
          "sigmoid_backward_f32", "sigmoid_backward_f32_scalar", y_dy,
          [](Buffers& b, std::size_t n) { sigmoid_backward_f32(b[0].data(), b[1].data(), b[2].data(), n); },
          [](Buffers& b, std::size_t n) { sigmoid_backward_f32_scalar(b[0].data(), b[1].data(), b[2].data(), n); }),
      activation(
          "tanh_backward_f32", "tanh_backward_f32_scalar", y_dy,
          [](Buffers& b, std::size_t n) { tanh_backward_f32(b[0].data(), b[1].data(), b[2].data(), n); },
          [](Buffers& b, std::size_t n) { tanh_backward_f32_scalar(b[0].data(), b[1].data(), b[2].data(), n); }),
      activation(
          "elu_backward_f32", "elu_backward_f32_scalar",
          [](std::size_t n, Rng& r) {
            return Buffers{act_input(n, r), randv(n, r, 0.01f, 0.99f), randv(n, r)};
          },
          [](Buffers& b, std::size_t n) {
            elu_backward_f32(b[0].data(), b[1].data(), b[2].data(), b[3].data(), n, 0.7f);
          },
          [](Buffers& b, std::size_t n) {
            elu_backward_f32_scalar(b[0].data(), b[1].data(), b[2].data(), b[3].data(), n, 0.7f);
          }),
  };
  // Bias on N x K planes of hw (convolutions), and on rows: N * hw rows of K units (dense).
  std::vector<Dims> bias_shapes;
  for (int N : {1, 2, 5})
    for (int K : {1, 3, 8, 17})
      for (int hw : {1, 3, 4, 7, 16, 49, 197, 4099}) bias_shapes.push_back({N, K, hw});
  const std::vector<Dims> bias_bench = {{64, 16, 196}, {64, 64, 576}};
  auto bias = [&](const char* kernel, const char* reference, bool grad, bool planes, float tol_per_sum) {
    return Case{"eltwise", kernel, reference, "N K hw", bias_shapes, bias_bench, [=](const Dims& d, Rng& r) {
                  const int N = d[0], K = d[1], hw = d[2];
                  const std::size_t n = static_cast<std::size_t>(N) * K * hw;
                  // planes: y (or dy) {N, K, hw}, b (or db) {K}; rows: {N * hw, K}, {K}.
                  Problem p = elementwise(
                      n, {randv(n, r), randv(K, r)}, {grad ? std::size_t{1} : std::size_t{0}},
                      [=](Buffers& b) {
                        if (planes)
                          grad ? bias_grad_planes_f32(b[0].data(), N, K, hw, b[1].data())
                               : add_bias_planes_f32(b[0].data(), N, K, hw, b[1].data());
                        else
                          grad ? bias_grad_rows_f32(b[0].data(), N * hw, K, b[1].data())
                               : add_bias_rows_f32(b[0].data(), N * hw, K, b[1].data());
                      },
                      [=](Buffers& b) {
                        if (planes)
                          grad ? bias_grad_planes_f32_scalar(b[0].data(), N, K, hw, b[1].data())
                               : add_bias_planes_f32_scalar(b[0].data(), N, K, hw, b[1].data());
                        else
                          grad ? bias_grad_rows_f32_scalar(b[0].data(), N * hw, K, b[1].data())
                               : add_bias_rows_f32_scalar(b[0].data(), N * hw, K, b[1].data());
                      });
                  if (tol_per_sum > 0.0f) p.tol = tol_per_sum * static_cast<float>(N * hw) + 1e-5f;
                  return p;
                }};
  };
  v.push_back(bias("add_bias_planes_f32", "add_bias_planes_f32_scalar", false, true, 0.0f));
  // The fast gradient sums each plane in 4 lanes: equal within rounding.
  v.push_back(bias("bias_grad_planes_f32", "bias_grad_planes_f32_scalar", true, true, 1e-6f));
  v.push_back(bias("add_bias_rows_f32", "add_bias_rows_f32_scalar", false, false, 0.0f));
  v.push_back(bias("bias_grad_rows_f32", "bias_grad_rows_f32_scalar", true, false, 0.0f));
  v.push_back({"eltwise",
               "bn_forward_plane_f32",
               "bn_forward_plane_f32_scalar",
               "n",
               element_sizes(),
               {{576}},
               [](const Dims& d, Rng& r) {
                 const std::size_t n = static_cast<std::size_t>(d[0]);
                 return elementwise(
                     n, {randv(n, r), nans(n), nans(n)}, {1, 2},
                     [n](Buffers& b) {
                       bn_forward_plane_f32(b[0].data(), n, 0.1f, 1.7f, 0.9f, -0.2f, b[1].data(), b[2].data());
                     },
                     [n](Buffers& b) {
                       bn_forward_plane_f32_scalar(b[0].data(), n, 0.1f, 1.7f, 0.9f, -0.2f, b[1].data(), b[2].data());
                     });
               }});
  // train 1: with xhat (training); 0: xhat null (inference).
  v.push_back({"eltwise",
               "bn_backward_plane_f32",
               "bn_backward_plane_f32_scalar",
               "n train",
               element_sizes({0, 1}),
               {{576, 1}},
               [](const Dims& d, Rng& r) {
                 const std::size_t n = static_cast<std::size_t>(d[0]);
                 const bool train = d[1];
                 return elementwise(
                     n, {randv(n, r), randv(n, r), nans(n)}, {2},
                     [=](Buffers& b) {
                       bn_backward_plane_f32(b[0].data(), train ? b[1].data() : nullptr, n, 1.3f, 0.05f, -0.3f,
                                             b[2].data());
                     },
                     [=](Buffers& b) {
                       bn_backward_plane_f32_scalar(b[0].data(), train ? b[1].data() : nullptr, n, 1.3f, 0.05f, -0.3f,
                                                    b[2].data());
                     });
               }});
  // ========================================================================= optim
  v.push_back(update(
      "sgd_update_f32", "sgd_update_f32_scalar", "n wd", 0, 0, element_sizes({0, 1}),
      [](Buffers& b, std::size_t n, const Dims& d) { sgd_update_f32(b[0].data(), b[1].data(), n, 0.05f, wd_of(d)); },
      [](Buffers& b, std::size_t n, const Dims& d) {
        sgd_update_f32_scalar(b[0].data(), b[1].data(), n, 0.05f, wd_of(d));
      }));
  v.push_back(update(
      "sgd_momentum_update_f32", "sgd_momentum_update_f32_scalar", "n wd nesterov", 1, 0, element_sizes2(),
      [](Buffers& b, std::size_t n, const Dims& d) {
        sgd_momentum_update_f32(b[0].data(), b[1].data(), b[2].data(), n, 0.05f, wd_of(d), 0.9f, d[2]);
      },
      [](Buffers& b, std::size_t n, const Dims& d) {
        sgd_momentum_update_f32_scalar(b[0].data(), b[1].data(), b[2].data(), n, 0.05f, wd_of(d), 0.9f, d[2]);
      }));
  // Adam's buffers: w, g, v (the squared average, >= 0), m.
  v.push_back(update(
      "adam_update_f32", "adam_update_f32_scalar", "n wd", 2, 1, element_sizes({0, 1}),
      [k](Buffers& b, std::size_t n, const Dims& d) {
        adam_update_f32(b[0].data(), b[1].data(), b[3].data(), b[2].data(), n, wd_of(d), k);
      },
      [k](Buffers& b, std::size_t n, const Dims& d) {
        adam_update_f32_scalar(b[0].data(), b[1].data(), b[3].data(), b[2].data(), n, wd_of(d), k);
      }));
  v.push_back(update(
      "radam_update_f32", "radam_update_f32_scalar", "n wd rectified", 2, 1, element_sizes2(),
      [k](Buffers& b, std::size_t n, const Dims& d) {
        radam_update_f32(b[0].data(), b[1].data(), b[3].data(), b[2].data(), n, wd_of(d), k, d[2]);
      },
      [k](Buffers& b, std::size_t n, const Dims& d) {
        radam_update_f32_scalar(b[0].data(), b[1].data(), b[3].data(), b[2].data(), n, wd_of(d), k, d[2]);
      }));
  v.push_back(update(
      "adagrad_update_f32", "adagrad_update_f32_scalar", "n wd", 1, 1, element_sizes({0, 1}),
      [](Buffers& b, std::size_t n, const Dims& d) {
        adagrad_update_f32(b[0].data(), b[1].data(), b[2].data(), n, 0.05f, wd_of(d), 1e-10f);
      },
      [](Buffers& b, std::size_t n, const Dims& d) {
        adagrad_update_f32_scalar(b[0].data(), b[1].data(), b[2].data(), n, 0.05f, wd_of(d), 1e-10f);
      }));
  // AdaDelta's buffers: w, g, the squared gradients' average, the squared steps' average (>= 0 too).
  v.push_back(update(
      "adadelta_update_f32", "adadelta_update_f32_scalar", "n wd", 2, 2, element_sizes({0, 1}),
      [](Buffers& b, std::size_t n, const Dims& d) {
        adadelta_update_f32(b[0].data(), b[1].data(), b[2].data(), b[3].data(), n, 1.0f, wd_of(d), 0.9f, 0.1f, 1e-6f);
      },
      [](Buffers& b, std::size_t n, const Dims& d) {
        adadelta_update_f32_scalar(b[0].data(), b[1].data(), b[2].data(), b[3].data(), n, 1.0f, wd_of(d), 0.9f, 0.1f,
                                   1e-6f);
      }));
  v.push_back(update(
      "rmsprop_update_f32", "rmsprop_update_f32_scalar", "n wd momentum", 2, 1, element_sizes2(),
      [](Buffers& b, std::size_t n, const Dims& d) {
        rmsprop_update_f32(b[0].data(), b[1].data(), b[2].data(), d[2] ? b[3].data() : nullptr, n, 0.01f, wd_of(d),
                           0.99f, 0.01f, 1e-8f, 0.9f);
      },
      [](Buffers& b, std::size_t n, const Dims& d) {
        rmsprop_update_f32_scalar(b[0].data(), b[1].data(), b[2].data(), d[2] ? b[3].data() : nullptr, n, 0.01f,
                                  wd_of(d), 0.99f, 0.01f, 1e-8f, 0.9f);
      }));
  return v;
}

inline const std::vector<Case>& all() {
  using namespace kernels;
  static const std::vector<Case> cases = {
      // ======================================================================= gemm
      {"gemm",
       "gemm_f32",
       "gemm_f32_scalar",
       "ta tb beta M N K",
       gemm_shapes(),
       // NetA conv1 (8x784x25), conv2 (16x196x200); NetB conv1 (32x676x9), conv2 (64x576x288); LeNet-5 conv2.
       {{0, 0, 0, 8, 784, 25},
        {0, 0, 0, 16, 196, 200},
        {0, 0, 0, 32, 676, 9},
        {0, 0, 0, 64, 576, 288},
        {0, 0, 0, 16, 100, 150}},
       [](const Dims& d, Rng& r) {
         const bool ta = d[0], tb = d[1];
         const float beta = static_cast<float>(d[2]);
         const int M = d[3], N = d[4], K = d[5], pad = 3;  // leading dimensions wider than the matrices
         const int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
         Problem p;
         p.buf = {randv(static_cast<std::size_t>(lda) * (ta ? K : M), r),
                  randv(static_cast<std::size_t>(ldb) * (tb ? N : K), r),
                  beta == 0.0f ? nans(static_cast<std::size_t>(ldc) * M)  // beta 0 must not read C
                               : randv(static_cast<std::size_t>(ldc) * M, r)};
         p.out = {2};
         p.run = [=](Buffers& b, bool ref) {
           (ref ? gemm_f32_scalar : gemm_f32)(ta, tb, M, N, K, b[0].data(), lda, b[1].data(), ldb, beta, b[2].data(),
                                              ldc);
         };
         if (beta == 0.0f)  // the padding columns of C stay NaN in both: compare only the matrix
           p.run = [=](Buffers& b, bool ref) {
             (ref ? gemm_f32_scalar : gemm_f32)(ta, tb, M, N, K, b[0].data(), lda, b[1].data(), ldb, beta, b[2].data(),
                                                ldc);
             for (int i = 0; i < M; ++i)
               for (int j = N; j < ldc; ++j) b[2][static_cast<std::size_t>(i) * ldc + j] = 0.0f;
           };
         p.tol = 1e-5f * K + 1e-5f;
         p.flops = 2.0 * M * N * K;
         p.items = static_cast<double>(M) * N;
         return p;
       }},
      // B by row offsets (rows overlapping, as a stride-1 convolution reads its padded input).
      {"gemm",
       "gemm_f32_brows",
       "gemm_f32 on the rows copied out",
       "ta M N K",
       [] {
         std::vector<Dims> v;
         for (int M : {1, 5, 16, 37})
           for (int N : {3, 8, 61, 300})
             for (int K : {1, 25, 260})
               for (int ta : {0, 1}) v.push_back({ta, M, N, K});
         return v;
       }(),
       {{0, 64, 624, 288}},  // NetB conv2 at the padded width
       [](const Dims& d, Rng& r) {
         const bool ta = d[0];
         const int M = d[1], N = d[2], K = d[3], span = 3 * K + 7;
         std::vector<std::ptrdiff_t> rows(static_cast<std::size_t>(K));
         for (int k = 0; k < K; ++k) rows[static_cast<std::size_t>(k)] = (k * 7) % span;
         Problem p;
         p.buf = {randv(static_cast<std::size_t>(M) * K, r), randv(static_cast<std::size_t>(N + span), r),
                  nans(static_cast<std::size_t>(M) * N), std::vector<float>(static_cast<std::size_t>(K) * N)};
         p.out = {2};
         p.run = [=](Buffers& b, bool ref) {
           if (!ref) {
             gemm_f32_brows(ta, M, N, K, b[0].data(), ta ? M : K, b[1].data(), rows.data(), 0.0f, b[2].data(), N);
             return;
           }
           for (int k = 0; k < K; ++k)
             std::copy_n(b[1].data() + rows[static_cast<std::size_t>(k)], N,
                         b[3].data() + static_cast<std::size_t>(k) * N);
           gemm_f32(ta, false, M, N, K, b[0].data(), ta ? M : K, b[3].data(), N, 0.0f, b[2].data(), N);
         };
         p.flops = 2.0 * M * N * K;
         p.items = static_cast<double>(M) * N;
         return p;
       }},
      // A by row offsets (as a stride-1 convolution's filter gradient reads its padded input).
      {"gemm",
       "gemm_f32_arows",
       "gemm_f32 on the rows copied out",
       "tb M N K",
       [] {
         std::vector<Dims> v;
         for (int M : {1, 5, 16, 37, 290})
           for (int N : {3, 8, 61})
             for (int K : {1, 25, 260, 600})  // 290 x 8 x 600 is split by rows
               for (int tb : {0, 1}) v.push_back({tb, M, N, K});
         return v;
       }(),
       {{1, 288, 64, 624}},  // NetB conv2's filter gradient, one image
       [](const Dims& d, Rng& r) {
         const bool tb = d[0];
         const int M = d[1], N = d[2], K = d[3], span = 3 * K + 7;
         std::vector<std::ptrdiff_t> rows(static_cast<std::size_t>(M));
         for (int i = 0; i < M; ++i) rows[static_cast<std::size_t>(i)] = (i * 7) % span;
         Problem p;
         p.buf = {randv(static_cast<std::size_t>(span + K), r), randv(static_cast<std::size_t>(K) * N, r),
                  nans(static_cast<std::size_t>(M) * N), std::vector<float>(static_cast<std::size_t>(M) * K)};
         p.out = {2};
         p.run = [=](Buffers& b, bool ref) {
           if (!ref) {
             gemm_f32_arows(tb, M, N, K, b[0].data(), rows.data(), b[1].data(), tb ? K : N, 0.0f, b[2].data(), N);
             return;
           }
           for (int i = 0; i < M; ++i)
             std::copy_n(b[0].data() + rows[static_cast<std::size_t>(i)], K,
                         b[3].data() + static_cast<std::size_t>(i) * K);
           gemm_f32(false, tb, M, N, K, b[3].data(), K, b[1].data(), tb ? K : N, 0.0f, b[2].data(), N);
         };
         p.flops = 2.0 * M * N * K;
         p.items = static_cast<double>(M) * N;
         return p;
       }},
      // ======================================================================= conv
      {"conv", "conv2d_forward_f32", "conv2d_forward_f32_scalar", "N C H W K FH FW S P groups", conv_shapes(),
       conv_bench_shapes(),
       [](const Dims& d, Rng& r) {
         const Conv2dPlan plan = conv_plan(d);
         const kernels::ConvGeom& g = plan.g;
         const int N = d[0], ckk = g.C * g.FH * g.FW;
         const std::size_t ny = static_cast<std::size_t>(N) * plan.filters * g.OH * g.OW;
         auto ws = std::make_shared<Conv2dWorkspace>();
         Problem p;
         p.buf = {randv(static_cast<std::size_t>(N) * d[1] * g.H * g.W, r),
                  randv(static_cast<std::size_t>(plan.filters) * ckk, r), nans(ny)};
         p.out = {2};
         p.run = [=](Buffers& b, bool ref) {
           if (ref)
             conv2d_forward_f32_scalar(plan, N, b[0].data(), b[1].data(), b[2].data());
           else
             conv2d_forward_f32(plan, N, b[0].data(), b[1].data(), b[2].data(), *ws);
         };
         p.tol = 1e-5f * ckk + 1e-5f;
         p.flops = 2.0 * static_cast<double>(ny) * ckk;
         p.items = static_cast<double>(ny);
         return p;
       }},
      {"conv", "conv2d_backward_f32", "conv2d_backward_f32_scalar", "N C H W K FH FW S P groups", conv_shapes(),
       conv_bench_shapes(),
       [](const Dims& d, Rng& r) {
         const Conv2dPlan plan = conv_plan(d);
         const kernels::ConvGeom& g = plan.g;
         const int N = d[0], ckk = g.C * g.FH * g.FW;
         const std::size_t nx = static_cast<std::size_t>(N) * d[1] * g.H * g.W,
                           ny = static_cast<std::size_t>(N) * plan.filters * g.OH * g.OW;
         auto ws = std::make_shared<Conv2dWorkspace>();
         Problem p;
         // x, w, dy, dx (written completely: poisoned), dw (accumulated into)
         p.buf = {randv(nx, r), randv(static_cast<std::size_t>(plan.filters) * ckk, r), randv(ny, r), nans(nx),
                  randv(static_cast<std::size_t>(plan.filters) * ckk, r)};
         p.out = {3, 4};
         p.run = [=](Buffers& b, bool ref) {
           if (ref)
             conv2d_backward_f32_scalar(plan, N, b[0].data(), b[1].data(), b[2].data(), b[3].data(), b[4].data());
           else
             conv2d_backward_f32(plan, N, b[0].data(), b[1].data(), b[2].data(), b[3].data(), b[4].data(), *ws);
         };
         p.tol = 2e-6f * static_cast<float>(N * g.OH * g.OW + plan.filters * g.FH * g.FW) + 1e-5f;
         p.flops = 4.0 * static_cast<double>(ny) * ckk;
         p.items = static_cast<double>(nx);
         return p;
       }},
      // out[m * sm + t * st] over M filters, T taps, P pixels; beta 0 or 1; out [M x T] or its transpose.
      {"conv",
       "conv_filter_grad_taps_f32",
       "conv_filter_grad_taps_f32_scalar",
       "M T P beta transposed",
       [] {
         std::vector<Dims> v;
         for (int M : {1, 3, 4, 5, 8, 32})
           for (int T : {1, 2, 9, 25})
             for (int P : {1, 3, 4, 17, 896})
               for (int beta : {0, 1})
                 for (int tr : {0, 1}) v.push_back({M, T, P, beta, tr});
         return v;
       }(),
       {{8, 25, 896, 1, 1}, {32, 9, 728, 1, 1}},  // NetA conv1, NetB conv1: one image
       [](const Dims& d, Rng& r) {
         const int M = d[0], T = d[1], P = d[2], span = 2 * P + 11;
         const float beta = static_cast<float>(d[3]);
         const int sm = d[4] ? 1 : T, st = d[4] ? M : 1;
         std::vector<std::ptrdiff_t> rows(static_cast<std::size_t>(T));
         for (int t = 0; t < T; ++t) rows[static_cast<std::size_t>(t)] = (t * 5) % span;
         Problem p;
         p.buf = {randv(static_cast<std::size_t>(M) * P, r), randv(static_cast<std::size_t>(span + P), r),
                  beta == 0.0f ? nans(static_cast<std::size_t>(M) * T) : randv(static_cast<std::size_t>(M) * T, r)};
         p.out = {2};
         p.run = [=](Buffers& b, bool ref) {
           (ref ? conv_filter_grad_taps_f32_scalar : conv_filter_grad_taps_f32)(M, T, P, b[0].data(), b[1].data(),
                                                                                rows.data(), beta, b[2].data(), sm, st);
         };
         p.tol = 1e-5f * P + 1e-5f;
         p.flops = 2.0 * M * T * P;
         p.items = static_cast<double>(M) * T;
         return p;
       }},
      // ======================================================================= pool
      {"pool",
       "maxpool_forward_f32",
       "maxpool_forward_f32_scalar",
       "planes H W FH FW SH SW",
       pool_shapes(),
       {{512, 28, 28, 2, 2, 2, 2}, {512, 24, 24, 2, 2, 2, 2}, {256, 14, 14, 3, 3, 2, 2}},
       [](const Dims& d, Rng& r) {
         const PoolShape s = pool_shape(d);
         return elementwise(
             s.ny, {pool_input(s.nx, s.g.W, r), nans(s.ny)}, {1},
             [s](Buffers& b) { maxpool_forward_f32(s.g, s.planes, b[0].data(), b[1].data()); },
             [s](Buffers& b) { maxpool_forward_f32_scalar(s.g, s.planes, b[0].data(), b[1].data()); });
       }},
      {"pool",
       "maxpool_backward_f32",
       "maxpool_backward_f32_scalar",
       "planes H W FH FW SH SW",
       pool_shapes(),
       {{512, 28, 28, 2, 2, 2, 2}, {512, 24, 24, 2, 2, 2, 2}, {256, 14, 14, 3, 3, 2, 2}},
       [](const Dims& d, Rng& r) {
         const PoolShape s = pool_shape(d);
         return elementwise(
             s.nx, {pool_input(s.nx, s.g.W, r), randv(s.ny, r), nans(s.nx)}, {2},
             [s](Buffers& b) { maxpool_backward_f32(s.g, s.planes, b[0].data(), b[1].data(), b[2].data()); },
             [s](Buffers& b) { maxpool_backward_f32_scalar(s.g, s.planes, b[0].data(), b[1].data(), b[2].data()); });
       }},
      {"pool",
       "avgpool_forward_f32",
       "avgpool_forward_f32_scalar",
       "planes H W FH FW SH SW",
       pool_shapes(),
       {{512, 28, 28, 2, 2, 2, 2}, {256, 14, 14, 3, 3, 2, 2}},
       [](const Dims& d, Rng& r) {
         const PoolShape s = pool_shape(d);
         return elementwise(
             s.ny, {randv(s.nx, r), nans(s.ny)}, {1},
             [s](Buffers& b) { avgpool_forward_f32(s.g, s.planes, b[0].data(), b[1].data()); },
             [s](Buffers& b) { avgpool_forward_f32_scalar(s.g, s.planes, b[0].data(), b[1].data()); });
       }},
      {"pool",
       "avgpool_backward_f32",
       "avgpool_backward_f32_scalar",
       "planes H W FH FW SH SW",
       pool_shapes(),
       {{512, 28, 28, 2, 2, 2, 2}, {256, 14, 14, 3, 3, 2, 2}},
       [](const Dims& d, Rng& r) {
         const PoolShape s = pool_shape(d);
         return elementwise(
             s.nx, {randv(s.ny, r), nans(s.nx)}, {1},
             [s](Buffers& b) { avgpool_backward_f32(s.g, s.planes, b[0].data(), b[1].data()); },
             [s](Buffers& b) { avgpool_backward_f32_scalar(s.g, s.planes, b[0].data(), b[1].data()); });
       }},
      {"pool",
       "global_avgpool_forward_f32",
       "global_avgpool_forward_f32_scalar",
       "planes hw",
       [] {
         std::vector<Dims> v;
         for (int hw : {1, 3, 4, 7, 16, 49, 196, 1000})
           for (int planes : {1, 5, 70, 400}) v.push_back({planes, hw});
         return v;
       }(),
       {{4096, 49}},
       [](const Dims& d, Rng& r) {
         const int planes = d[0], hw = d[1];
         // The SIMD sum adds in another order: rounding apart (values in [-1, 1], means below 1).
         Problem p = elementwise(
             static_cast<std::size_t>(planes), {randv(static_cast<std::size_t>(planes) * hw, r), nans(planes)}, {1},
             [=](Buffers& b) { global_avgpool_forward_f32(b[0].data(), planes, hw, b[1].data()); },
             [=](Buffers& b) { global_avgpool_forward_f32_scalar(b[0].data(), planes, hw, b[1].data()); });
         p.tol = 1e-6f;
         return p;
       }},
      {"pool",
       "global_avgpool_backward_f32",
       "global_avgpool_backward_f32_scalar",
       "planes hw",
       [] {
         std::vector<Dims> v;
         for (int hw : {1, 3, 4, 7, 16, 49, 196, 1000})
           for (int planes : {1, 5, 70, 400}) v.push_back({planes, hw});
         return v;
       }(),
       {{4096, 49}},
       [](const Dims& d, Rng& r) {
         const int planes = d[0], hw = d[1];
         const std::size_t nx = static_cast<std::size_t>(planes) * hw;
         return elementwise(
             nx, {randv(planes, r), nans(nx)}, {1},
             [=](Buffers& b) { global_avgpool_backward_f32(b[0].data(), planes, hw, b[1].data()); },
             [=](Buffers& b) { global_avgpool_backward_f32_scalar(b[0].data(), planes, hw, b[1].data()); });
       }},
  };
  static const std::vector<Case> more = eltwise_and_optim_cases();
  static const std::vector<Case> every = [] {
    std::vector<Case> v = cases;
    v.insert(v.end(), more.begin(), more.end());
    return v;
  }();
  return every;
}

}  // namespace cnn::kernel_cases
