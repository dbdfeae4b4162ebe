// cnn summary, cnn gradcheck, cnn export-onnx: looking at a model without data.
#include <cstdio>
#include <iostream>

#include "args.h"
#include "core/rng.h"
#include "io/onnx.h"
#include "io/serialize.h"
#include "load.h"
#include "train/gradcheck.h"

namespace cnn::cli {

namespace {

int run_summary(const Args& a) {
  std::cout << load_model(a.get("--model")).model.summary();
  return 0;
}

int run_gradcheck(const Args& a) {
  Model m = std::move(load_model(a.get("--model")).model);
  const int batch = static_cast<int>(number(a, "--batch", 2, 1, 256));
  Rng rng(1);
  Tensor x = zeros(batch_shape(static_cast<std::size_t>(batch), m.input_shape()));
  for (std::size_t i = 0; i < x.size(); ++i) x.data()[i] = rng.uniform(-1.0f, 1.0f);
  const std::size_t classes = shape_size(m.output_shape());
  std::vector<int> y(static_cast<std::size_t>(batch));
  for (int& v : y) v = static_cast<int>(rng.below(static_cast<std::uint32_t>(classes)));
  const GradCheckResult r = gradient_check(m, x, y, LossKind::softmax_cross_entropy);
  std::printf("%-28s %8s %8s %12s %10s\n", "parameter", "checked", "on kink", "max abs err", "err/tol");
  for (const auto& row : r.rows)
    std::printf("%-28s %8zu %8zu %12.2e %10.3f\n", row.param.c_str(), row.checked, row.skipped, row.max_abs,
                row.max_error);
  std::printf("%zu entries checked, %zu on a kink skipped: %s\n", r.checked, r.skipped, r.ok() ? "ok" : "FAILED");
  return r.ok() ? 0 : 1;
}

int run_export_onnx(const Args& a) {
  const std::string out = a.get("--out", "model.onnx");
  ModelFile f = load_model(a.get("--model"));
  OnnxOptions opt;
  opt.fold_batchnorm = a.count("--fold-batchnorm") > 0;
  OnnxInfo info;
  const auto bytes = export_onnx(f.model, f.preprocessing(), opt, &info);
  write_file(out, bytes);
  const Shape& in = f.model.input_shape();
  std::string pre_desc, ops;
  for (auto& s : info.preprocessing) pre_desc += (pre_desc.empty() ? "" : ", ") + s;
  for (auto& s : info.ops) ops += (ops.empty() ? "" : " ") + s;
  std::printf("wrote %s (%zu bytes, ONNX opset %d): %zu nodes, %zu initializers (%lld floats)\n", out.c_str(),
              bytes.size(), kOnnxOpset, info.nodes, info.initializers, static_cast<long long>(info.parameters));
  std::printf("input  \"input\"  float32 [N, %zu, %zu, %zu], raw pixels in [0, 1]\n", in[0], in[1], in[2]);
  std::printf("output \"logits\" float32 [N, %zu]\n", info.outputs);
  std::printf("preprocessing in the graph: %s\n", pre_desc.empty() ? "none" : pre_desc.c_str());
  std::printf("operators: %s\n", ops.c_str());
  return 0;
}

}  // namespace

Command summary_command() {
  return {"summary",
          "per-layer output shape, parameters and MACs",
          "usage: cnn summary --model <zoo name | file.json | file.cnn>\n",
          {"--model"},
          {},
          {},
          run_summary};
}

Command gradcheck_command() {
  return {"gradcheck",
          "compare back-propagation with central differences on a random batch",
          "usage: cnn gradcheck --model <zoo name | file> [--batch 2]\n",
          {"--model", "--batch"},
          {},
          {},
          run_gradcheck};
}

Command export_onnx_command() {
  return {"export-onnx",
          "write the inference graph (with the preprocessing) as an ONNX file",
          "usage: cnn export-onnx --model <file.cnn | zoo name | file.json> [--out model.onnx] [--fold-batchnorm]\n"
          "  the inference graph in ONNX (opset 13): input \"input\" [N, C, H, W] raw pixels in [0, 1], output\n"
          "  \"logits\" [N, classes]; the model file's preprocessing is part of the graph; dropout is left out\n"
          "  --fold-batchnorm: fold batch norms that follow a conv/dense layer into its weights\n",
          {"--model", "--out"},
          {"--fold-batchnorm"},
          {},
          run_export_onnx};
}

}  // namespace cnn::cli
