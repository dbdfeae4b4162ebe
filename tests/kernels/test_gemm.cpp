// The GEMM family (kernels/gemm/): the cases of kernel_cases.h (every transpose, beta 0 and 1, tile
// edges, K below/at/above the packing depth, leading dimensions wider than the matrices, B or A by
// row offsets), and the split over threads.
#include "core/parallel.h"
#include "kernel_test.h"
#include "nn/loss.h"
#include "test_util.h"

namespace cnn::test {

KERNEL_FAMILY_TESTS(KernelGemm, "gemm");

static std::vector<float> randv(std::size_t n, Rng& r) {
  std::vector<float> v(n);
  for (float& x : v) x = r.uniform(-1.0f, 1.0f);
  return v;
}

// Threads split the output into disjoint blocks: results are bit-identical for 1 and N threads,
// for the kernels and for a whole training step.
TEST(KernelGemm, IdenticalForAnyThreadCount) {
  Rng r(12);
  const int M = 70, N = 301, K = 333;
  auto A = randv(static_cast<std::size_t>(M) * K, r), B = randv(static_cast<std::size_t>(K) * N, r);
  std::vector<float> C1(static_cast<std::size_t>(M) * N), C3(C1.size()), Ct(C1.size());
  const int saved = num_threads();
  set_num_threads(1);
  kernels::gemm_f32(false, false, M, N, K, A.data(), K, B.data(), N, 0.0f, C1.data(), N);
  set_num_threads(3);
  kernels::gemm_f32(false, false, M, N, K, A.data(), K, B.data(), N, 0.0f, C3.data(), N);
  EXPECT_EQ(C1, C3);
  // Narrow C: split by rows. Aᵀ·B with M > N.
  set_num_threads(1);
  kernels::gemm_f32(true, false, N, 20, K, B.data(), N, A.data(), 20, 0.0f, Ct.data(), 20);
  std::vector<float> Ct1(Ct.begin(), Ct.begin() + N * 20);
  set_num_threads(4);
  kernels::gemm_f32(true, false, N, 20, K, B.data(), N, A.data(), 20, 0.0f, Ct.data(), 20);
  EXPECT_EQ(Ct1, std::vector<float>(Ct.begin(), Ct.begin() + N * 20));
  // One row of A (a dense layer on one image) takes the unpacked path, split by columns; wide
  // enough (K * N) that it is split, for both op(B).
  const int Kv = 4000, Nv = 301;
  auto x = randv(Kv, r), W = randv(static_cast<std::size_t>(Kv) * Nv, r);
  for (int tb = 0; tb < 2; ++tb) {
    std::vector<float> y1(Nv), y3(Nv), yref(Nv);
    set_num_threads(1);
    kernels::gemm_f32(false, tb, 1, Nv, Kv, x.data(), Kv, W.data(), tb ? Kv : Nv, 0.0f, y1.data(), Nv);
    set_num_threads(3);
    kernels::gemm_f32(false, tb, 1, Nv, Kv, x.data(), Kv, W.data(), tb ? Kv : Nv, 0.0f, y3.data(), Nv);
    EXPECT_EQ(y1, y3) << "trans_b=" << tb;
    kernels::gemm_f32_scalar(false, tb, 1, Nv, Kv, x.data(), Kv, W.data(), tb ? Kv : Nv, 0.0f, yref.data(), Nv);
    for (int j = 0; j < Nv; ++j) ASSERT_NEAR(y1[j], yref[j], 1e-3f) << "trans_b=" << tb << " j=" << j;
  }

  auto train_step = [&](int threads) {
    set_num_threads(threads);
    Model m = Model::from_string(R"({"input":[3,16,16],"seed":2,"layers":[
      {"type":"conv2d","filters":32,"kernel":3,"pad":1},{"type":"relu"},{"type":"maxpool2d","size":2},
      {"type":"conv2d","filters":64,"kernel":3,"pad":1},{"type":"relu"},{"type":"dense","units":10}]})");
    Rng rr(5);
    const Tensor x = random_tensor({16, 3, 16, 16}, rr);
    std::vector<int> y(16);
    for (int& v : y) v = static_cast<int>(rr.below(10));
    Tensor g;
    m.zero_grad();
    softmax_cross_entropy(m.forward(x, true), y, &g);
    m.backward(g);
    std::vector<float> out;
    for (auto& p : m.params()) out.insert(out.end(), p.grad->data(), p.grad->data() + p.grad->size());
    return out;
  };
  EXPECT_EQ(train_step(1), train_step(2));
  set_num_threads(saved);
}

}  // namespace cnn::test
