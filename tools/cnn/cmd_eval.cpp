// cnn eval (accuracy of a model, an ensemble, with test-time augmentation) and cnn predict (a model's
// outputs for images).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "args.h"
#include "io/npy.h"
#include "load.h"
#include "train/ensemble.h"

namespace cnn::cli {

namespace {

void print_evaluation(const Evaluation& e, const char* key) {
  std::printf("loss %.4f\nper-class accuracy:", e.loss);
  for (std::size_t c = 0; c < e.per_class.size(); ++c) std::printf(" %zu:%.4f", c, e.per_class[c]);
  std::printf("\nconfusion matrix (rows: true class, columns: predicted):\n");
  for (auto& row : e.confusion) {
    for (int v : row) std::printf("%6d", v);
    std::printf("\n");
  }
  std::printf("%s=%.4f\n", key, e.accuracy);
}

int run_eval(const Args& a) {
  const int batch = static_cast<int>(number(a, "--batch", 256, 1, 65536));
  const bool tta = a.count("--tta") > 0;
  const std::string split_name = a.get("--split", "test");
  if (split_name != "test" && split_name != "validation") throw Usage("--split must be 'test' or 'validation'");
  if (a.count("--validation") && split_name != "validation") throw Usage("--validation goes with --split validation");
  const std::vector<std::string>& names = a.all("--model");
  if (names.empty()) throw Usage("--model is required");
  std::vector<ModelFile> models;
  for (const std::string& n : names) models.push_back(load_model(n));
  Data d = load_data(a);
  if (split_name == "validation") d.test = train_split(a, d.train).second;
  if (d.test.n == 0) throw Error("the " + split_name + " split has no images");
  const char* key = split_name == "test" ? "test_accuracy" : "validation_accuracy";
  const auto t0 = std::chrono::steady_clock::now();
  if (models.size() == 1 && !tta) {
    const Evaluation e = evaluate(models[0].model, d.test, models[0].preprocessing(), batch);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("evaluated %zu images in %.1f s (%.0f img/s)\n", e.count, s, e.count / std::max(s, 1e-9));
    print_evaluation(e, key);
    return 0;
  }
  std::vector<EnsembleMember> members;
  for (ModelFile& f : models) members.push_back({&f.model, &f.preprocessing()});
  const std::vector<View> views = tta_views(tta);
  const EnsembleEvaluation r = evaluate_ensemble(members, d.test, views, batch);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("evaluated %zu images with %zu model(s) x %zu view(s)%s in %.1f s\n", r.combined.count, models.size(),
              views.size(), tta ? " (TTA: identity and +-1 pixel shifts in x and y)" : "", s);
  for (std::size_t i = 0; i < models.size(); ++i)
    std::printf("model %zu (%s): accuracy %.4f%s\n", i + 1, names[i].c_str(), r.member_accuracy[i],
                tta ? " with TTA" : "");
  std::printf("%s: average of the softmax probabilities\n", models.size() > 1 ? "ensemble" : "model");
  print_evaluation(r.combined, key);
  return 0;
}

// The images of --input (.npy) or --images (IDX) as raw pixels in [0, 1]; *n receives their number.
std::vector<float> read_images(const Args& a, const Shape& in, std::size_t* n) {
  if (a.count("--input")) {
    Npy npy = read_npy(a.at("--input"));
    Shape s = npy.shape;
    if (s.size() == 3 && in[0] == 1) s.insert(s.begin() + 1, 1);
    if (s.size() != 4 || !std::equal(in.begin(), in.end(), s.begin() + 1))
      throw Error(a.at("--input") + ": the array is " + shape_str(npy.shape) + ", the model takes [N, " +
                  shape_str(in).substr(1));
    *n = s[0];
    return std::move(npy.data);
  }
  const Idx idx = read_idx(a.at("--images"));
  Shape s = idx.dims;
  if (s.size() == 3 && in[0] == 1) s.insert(s.begin() + 1, 1);
  if (s.size() != 4 || !std::equal(in.begin(), in.end(), s.begin() + 1))
    throw Error(a.at("--images") + ": the images are " + idx_dims_str(idx.dims) + ", the model takes " + shape_str(in));
  *n = s[0];
  std::vector<float> x(idx.data.size());
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(idx.data[i]) / 255.0f;
  return x;
}

int run_predict(const Args& a) {
  const int batch = static_cast<int>(number(a, "--batch", 256, 1, 65536));
  if (a.count("--input") == a.count("--images")) throw Usage("give one of --input <x.npy> and --images <idx>");
  if (a.count("--out") && !ends_with(a.at("--out"), ".npy")) throw Usage("--out must name a .npy file");
  ModelFile f = load_model(a.get("--model"));
  Model& m = f.model;
  const Preprocess& pre = f.preprocessing();
  const Shape& in = m.input_shape();
  const std::size_t sz = shape_size(in);
  std::size_t n = 0;
  const std::vector<float> x = read_images(a, in, &n);
  if (n == 0) throw Error("no images to predict");
  const std::size_t D = shape_size(m.output_shape());
  std::vector<float> logits(n * D);
  Tensor xb;
  for (std::size_t s = 0; s < n; s += static_cast<std::size_t>(batch)) {
    const std::size_t b = std::min<std::size_t>(static_cast<std::size_t>(batch), n - s);
    ensure_shape(xb, batch_shape(b, in));
    std::copy(x.data() + s * sz, x.data() + (s + b) * sz, xb.data());
    if (!pre.is_identity()) pre.apply(xb);
    const Tensor& out = m.forward(xb, false);
    std::copy(out.data(), out.data() + b * D, logits.data() + s * D);
  }
  if (a.count("--out")) {
    write_npy(a.at("--out"), {n, D}, logits.data());
    std::printf("wrote %s: the outputs (logits) of %zu images, float32 [%zu, %zu]%s\n", a.at("--out").c_str(), n, n, D,
                pre.is_identity() ? "" : " (the model's preprocessing applied)");
    return 0;
  }
  std::printf("%8s %6s %12s\n", "image", "class", "probability");
  for (std::size_t i = 0; i < n; ++i) {
    const float* l = logits.data() + i * D;
    const std::size_t k = static_cast<std::size_t>(std::max_element(l, l + D) - l);
    double sum = 0;
    for (std::size_t j = 0; j < D; ++j) sum += std::exp(static_cast<double>(l[j]) - l[k]);
    std::printf("%8zu %6zu %12.4f\n", i, k, 1.0 / sum);
  }
  return 0;
}

}  // namespace

Command eval_command() {
  return {"eval",
          "test accuracy of a model file, an ensemble (several --model) and/or with --tta;\n"
          "               the last line is test_accuracy=<fraction>",
          "usage: cnn eval --model <file.cnn> [--model <file.cnn> ...] [--tta] [--data mnist | --images <idx> "
          "--labels <idx>] [--split test | validation] [--batch 256]\n"
          "  several --model: an ensemble, the average of the models' softmax probabilities\n"
          "  --tta: test-time augmentation, the average over 5 views of each image: itself and its shifts by\n"
          "         one pixel left, right, up and down (zero fill)\n"
          "  --split validation: score on the images cnn train held out for validation (the same 5,000 of\n"
          "         MNIST's training set, or --validation N), to choose members or TTA without the test set\n",
          {"--model", "--data", "--images", "--labels", "--batch", "--split", "--validation"},
          {"--tta"},
          {"--model"},
          run_eval};
}

Command predict_command() {
  return {"predict",
          "the model's outputs (logits) for images given as .npy or IDX, written as .npy",
          "usage: cnn predict --model <file.cnn | zoo name | file.json> (--input <x.npy> | --images <idx>) [--out "
          "<logits.npy>] [--batch 256]\n"
          "  --input   float32 .npy of raw pixels in [0, 1], shape [N, C, H, W] (or [N, H, W] for one channel)\n"
          "  --images  an IDX file of uint8 images (read as pixel / 255)\n"
          "  the model file's preprocessing is applied, as in training; --out writes the outputs (logits) as a\n"
          "  float32 .npy [N, D]; without --out each image's class and probability are printed\n",
          {"--model", "--input", "--images", "--out", "--batch"},
          {},
          {},
          run_predict};
}

}  // namespace cnn::cli
