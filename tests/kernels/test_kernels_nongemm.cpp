// The kernels around the GEMM (kernels/ops.h) against their scalar references: many sizes, odd
// tails, 1 and several threads. (Heap use per training step: cnn_bench_nets --profile.)
#include <cmath>
#include <cstring>

#include "core/parallel.h"
#include "kernels/ops.h"
#include "nn/loss.h"
#include "test_util.h"
#include "train/optim/optimizer.h"

namespace cnn::test {

namespace {

std::vector<float> randv(std::size_t n, Rng& r, float lo = -1.0f, float hi = 1.0f) {
  std::vector<float> v(n);
  for (float& x : v) x = r.uniform(lo, hi);
  return v;
}

// Sizes around the SIMD width and the parallel grain (16384 elements per task).
const std::size_t kSizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100, 1023, 16385, 40001};

// Runs f once with 1 thread and once with 3, restoring the thread count.
template <class F>
void each_threads(F&& f) {
  const int saved = num_threads();
  for (int t : {1, 3}) {
    set_num_threads(t);
    f(t);
  }
  set_num_threads(saved);
}

#define EXPECT_SAME(a, b) EXPECT_TRUE((a) == (b)) << "n=" << n << " threads=" << threads

}  // namespace

TEST(KernelOps, ActivationsMatchScalar) {
  Rng r(21);
  each_threads([&](int threads) {
    for (std::size_t n : kSizes) {
      auto x = randv(n, r), dy = randv(n, r), y = randv(n, r, 0.01f, 0.99f);
      if (n > 3) x[3] = 0.0f;  // the boundary: x > 0 is false at 0
      std::vector<float> a(n), b(n);
      kernels::relu_forward_f32(x.data(), a.data(), n);
      kernels::relu_forward_f32_scalar(x.data(), b.data(), n);
      EXPECT_SAME(a, b);
      kernels::relu_backward_f32(x.data(), dy.data(), a.data(), n);
      kernels::relu_backward_f32_scalar(x.data(), dy.data(), b.data(), n);
      EXPECT_SAME(a, b);
      kernels::leaky_relu_forward_f32(x.data(), a.data(), n, 0.1f);
      kernels::leaky_relu_forward_f32_scalar(x.data(), b.data(), n, 0.1f);
      EXPECT_SAME(a, b);
      kernels::leaky_relu_backward_f32(x.data(), dy.data(), a.data(), n, 0.1f);
      kernels::leaky_relu_backward_f32_scalar(x.data(), dy.data(), b.data(), n, 0.1f);
      EXPECT_SAME(a, b);
      kernels::sigmoid_backward_f32(y.data(), dy.data(), a.data(), n);
      kernels::sigmoid_backward_f32_scalar(y.data(), dy.data(), b.data(), n);
      EXPECT_SAME(a, b);
      kernels::tanh_backward_f32(y.data(), dy.data(), a.data(), n);
      kernels::tanh_backward_f32_scalar(y.data(), dy.data(), b.data(), n);
      EXPECT_SAME(a, b);
      kernels::elu_backward_f32(x.data(), y.data(), dy.data(), a.data(), n, 0.7f);
      kernels::elu_backward_f32_scalar(x.data(), y.data(), dy.data(), b.data(), n, 0.7f);
      EXPECT_SAME(a, b);
    }
  });
}

TEST(KernelOps, BiasMatchesScalar) {
  Rng r(22);
  each_threads([&](int threads) {
    for (int N : {1, 2, 5})
      for (int K : {1, 3, 8, 17})
        for (int hw : {1, 3, 4, 7, 16, 49, 197, 4099}) {
          const std::size_t n = static_cast<std::size_t>(N) * K * hw;
          auto y0 = randv(n, r), bias = randv(K, r), db0 = randv(K, r);
          auto y1 = y0, db1 = db0;
          kernels::add_bias_planes_f32(y0.data(), N, K, hw, bias.data());
          kernels::add_bias_planes_f32_scalar(y1.data(), N, K, hw, bias.data());
          EXPECT_SAME(y0, y1);
          const auto dy = randv(n, r);
          kernels::bias_grad_planes_f32(dy.data(), N, K, hw, db0.data());
          kernels::bias_grad_planes_f32_scalar(dy.data(), N, K, hw, db1.data());
          for (int k = 0; k < K; ++k) EXPECT_NEAR(db0[k], db1[k], 1e-6f * N * hw + 1e-5f) << "K=" << K << " hw=" << hw;
          // Rows (dense): K units, N * hw rows; bit-identical.
          auto z0 = randv(n, r), z1 = z0, e0 = randv(K, r), e1 = e0;
          kernels::add_bias_rows_f32(z0.data(), N * hw, K, bias.data());
          kernels::add_bias_rows_f32_scalar(z1.data(), N * hw, K, bias.data());
          EXPECT_SAME(z0, z1);
          kernels::bias_grad_rows_f32(z0.data(), N * hw, K, e0.data());
          kernels::bias_grad_rows_f32_scalar(z0.data(), N * hw, K, e1.data());
          EXPECT_SAME(e0, e1);
        }
  });
}

TEST(KernelOps, PoolingMatchesScalar) {
  Rng r(23);
  struct Case {
    int H, W, FH, FW, SH, SW;
  };
  // The last case is wider than the max pool's column buffer: its scalar path.
  const Case cases[] = {{28, 28, 2, 2, 2, 2}, {24, 24, 2, 2, 2, 2}, {7, 9, 2, 2, 2, 2},   {5, 5, 2, 2, 2, 2},
                        {2, 2, 2, 2, 2, 2},   {3, 17, 2, 2, 2, 2},  {14, 14, 3, 3, 3, 3}, {9, 8, 3, 2, 2, 1},
                        {6, 6, 3, 3, 1, 1},   {5, 7, 1, 1, 1, 1},   {8, 11, 2, 3, 2, 3},  {7, 41, 3, 3, 2, 2},
                        {6, 30, 3, 3, 1, 1},  {5, 23, 2, 3, 2, 2},  {6, 21, 3, 2, 1, 2},  {4, 26, 2, 4, 2, 4},
                        {9, 9, 9, 9, 1, 1},   {7, 12, 3, 5, 2, 3},  {5, 600, 2, 3, 1, 3}};
  int n = 0;
  each_threads([&](int threads) {
    for (const Case& k : cases)
      for (int planes : {1, 3, 70}) {
        const kernels::PoolGeom g{k.H, k.W, k.FH, k.FW, k.SH, k.SW, (k.H - k.FH) / k.SH + 1, (k.W - k.FW) / k.SW + 1};
        const std::size_t nx = static_cast<std::size_t>(planes) * k.H * k.W, ny = std::size_t(planes) * g.OH * g.OW;
        auto x = randv(nx, r), dy = randv(ny, r);
        // Ties: repeat some values so the "first maximum" rule matters.
        for (std::size_t i = 1; i < nx; i += 5) x[i] = x[i - 1];
        // ... and across rows: (r, c) equal to (r - 1, c + 1), which the row-by-row scan meets first.
        for (std::size_t i = static_cast<std::size_t>(k.W) + 2; i < nx; i += 7) x[i] = x[i - k.W + 1];
        std::vector<float> y0(ny), y1(ny), dx0(nx, 7.0f), dx1(nx, -7.0f);  // dx poisoned: must be overwritten
        kernels::maxpool_forward_f32(g, planes, x.data(), y0.data());
        kernels::maxpool_forward_f32_scalar(g, planes, x.data(), y1.data());
        EXPECT_SAME(y0, y1);
        kernels::maxpool_backward_f32(g, planes, x.data(), dy.data(), dx0.data());
        kernels::maxpool_backward_f32_scalar(g, planes, x.data(), dy.data(), dx1.data());
        EXPECT_SAME(dx0, dx1);
        kernels::avgpool_forward_f32(g, planes, x.data(), y0.data());
        kernels::avgpool_forward_f32_scalar(g, planes, x.data(), y1.data());
        EXPECT_SAME(y0, y1);
        std::fill(dx0.begin(), dx0.end(), 7.0f);
        kernels::avgpool_backward_f32(g, planes, dy.data(), dx0.data());
        kernels::avgpool_backward_f32_scalar(g, planes, dy.data(), dx1.data());
        EXPECT_SAME(dx0, dx1);
        ++n;
      }
  });
  EXPECT_GT(n, 60);
}

TEST(KernelOps, GlobalAvgPoolMatchesScalar) {
  Rng r(26);
  int n = 0;
  each_threads([&](int threads) {
    for (int hw : {1, 3, 4, 7, 16, 49, 196, 1000})
      for (int planes : {1, 5, 70, 400}) {
        const std::size_t nx = static_cast<std::size_t>(planes) * hw;
        auto x = randv(nx, r), dy = randv(planes, r);
        std::vector<float> y0(planes), y1(planes), dx0(nx, 7.0f), dx1(nx, -7.0f);  // dx poisoned
        kernels::global_avgpool_forward_f32(x.data(), planes, hw, y0.data());
        kernels::global_avgpool_forward_f32_scalar(x.data(), planes, hw, y1.data());
        // The SIMD sum adds in another order: rounding apart (values in [-1, 1], means below 1).
        for (int p = 0; p < planes; ++p) EXPECT_NEAR(y0[p], y1[p], 1e-6f) << "hw=" << hw << " p=" << p;
        kernels::global_avgpool_backward_f32(dy.data(), planes, hw, dx0.data());
        kernels::global_avgpool_backward_f32_scalar(dy.data(), planes, hw, dx1.data());
        EXPECT_SAME(dx0, dx1);
        ++n;
      }
  });
  EXPECT_EQ(n, 64);
}

TEST(KernelOps, BatchNormPlanesMatchScalar) {
  Rng r(24);
  const int threads = 1;
  for (std::size_t n : kSizes) {
    auto x = randv(n, r), dy = randv(n, r);
    std::vector<float> h0(n), h1(n), y0(n), y1(n);
    kernels::bn_forward_plane_f32(x.data(), n, 0.1f, 1.7f, 0.9f, -0.2f, h0.data(), y0.data());
    kernels::bn_forward_plane_f32_scalar(x.data(), n, 0.1f, 1.7f, 0.9f, -0.2f, h1.data(), y1.data());
    EXPECT_SAME(h0, h1);
    EXPECT_SAME(y0, y1);
    kernels::bn_backward_plane_f32(dy.data(), h0.data(), n, 1.3f, 0.05f, -0.3f, y0.data());
    kernels::bn_backward_plane_f32_scalar(dy.data(), h0.data(), n, 1.3f, 0.05f, -0.3f, y1.data());
    EXPECT_SAME(y0, y1);
    kernels::bn_backward_plane_f32(dy.data(), nullptr, n, 1.3f, 0.05f, -0.3f, y0.data());
    kernels::bn_backward_plane_f32_scalar(dy.data(), nullptr, n, 1.3f, 0.05f, -0.3f, y1.data());
    EXPECT_SAME(y0, y1);
  }
}

TEST(KernelOps, OptimizerUpdatesMatchScalar) {
  Rng r(25);
  each_threads([&](int threads) {
    for (std::size_t n : kSizes) {
      const auto w = randv(n, r), g = randv(n, r), b = randv(n, r), m = randv(n, r), v = randv(n, r, 0.0f, 0.1f);
      for (float wd : {0.0f, 0.01f}) {
        auto w0 = w, w1 = w;
        kernels::sgd_update_f32(w0.data(), g.data(), n, 0.05f, wd);
        kernels::sgd_update_f32_scalar(w1.data(), g.data(), n, 0.05f, wd);
        EXPECT_SAME(w0, w1);
        for (bool nesterov : {false, true}) {
          auto wa = w, wb = w, ba = b, bb = b;
          kernels::sgd_momentum_update_f32(wa.data(), g.data(), ba.data(), n, 0.05f, wd, 0.9f, nesterov);
          kernels::sgd_momentum_update_f32_scalar(wb.data(), g.data(), bb.data(), n, 0.05f, wd, 0.9f, nesterov);
          EXPECT_SAME(wa, wb);
          EXPECT_SAME(ba, bb);
        }
        const kernels::AdamCoeffs k{0.9f, 0.1f, 0.999f, 0.001f, 0.003f, 0.2f, 1e-8f};
        auto wa = w, wb = w, ma = m, mb = m, va = v, vb = v;
        kernels::adam_update_f32(wa.data(), g.data(), ma.data(), va.data(), n, wd, k);
        kernels::adam_update_f32_scalar(wb.data(), g.data(), mb.data(), vb.data(), n, wd, k);
        EXPECT_SAME(wa, wb);
        EXPECT_SAME(ma, mb);
        EXPECT_SAME(va, vb);
        for (bool rect : {false, true}) {
          auto wc = w, wd2 = w, mc = m, md = m, vc = v, vd = v;
          kernels::radam_update_f32(wc.data(), g.data(), mc.data(), vc.data(), n, wd, k, rect);
          kernels::radam_update_f32_scalar(wd2.data(), g.data(), md.data(), vd.data(), n, wd, k, rect);
          EXPECT_SAME(wc, wd2);
          EXPECT_SAME(mc, md);
          EXPECT_SAME(vc, vd);
        }
      }
    }
  });
}

// A whole training step (conv, relu, leaky, avg/max pool, batch norm, dense, adam) gives the same
// parameters with 1 and 2 threads.
TEST(KernelOps, TrainingStepIdenticalForAnyThreadCount) {
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

}  // namespace cnn::test
