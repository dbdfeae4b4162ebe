// cnn train: trains a model (a zoo name or description, or --from a trained one), resumes a checkpoint
// (--resume), and writes the model file and checkpoints (io/model_file.h).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "args.h"
#include "io/serialize.h"
#include "load.h"

namespace cnn::cli {

namespace {

std::string duration(double s) {
  char b[32];
  const long t = static_cast<long>(s + 0.5);
  if (t >= 3600)
    std::snprintf(b, sizeof b, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
  else
    std::snprintf(b, sizeof b, "%ld:%02ld", t / 60, t % 60);
  return b;
}

std::vector<std::string> split_names(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// --checkpoint's path for an epoch: "{epoch}" in it is replaced by the epoch's number (keeps one file per epoch).
std::string checkpoint_path(std::string path, int epoch) {
  const std::size_t at = path.find("{epoch}");
  if (at != std::string::npos) path.replace(at, 7, std::to_string(epoch));
  return path;
}

int run_train(const Args& a) {
  const bool from = a.count("--from") > 0, resume = a.count("--resume") > 0;
  if (from && (a.count("--model") || resume)) throw Usage("--from goes without --model and --resume");
  if (resume && (a.count("--freeze") || a.count("--replace-head")))
    throw Usage("--freeze and --replace-head are not for --resume (the checkpoint has its configuration)");
  const int new_head = static_cast<int>(number(a, "--replace-head", 0, 1, 1e6));
  json pre_spec = nullptr;  // the engine's "standardize" (preprocess.h fit_preprocess)
  if (a.count("--preprocess")) {
    pre_spec = json_arg(a, "--preprocess", "{\"mean\":\"channel\",\"std\":true}");
    try {
      PreprocessConfig::from_json(pre_spec);
    } catch (const Error& e) {
      throw Usage(std::string("--preprocess: ") + e.what());
    }
  }
  Data d = load_data(a);
  // The --resume checkpoint, the --from base model, or the --model to train.
  bool is_file = false;
  ModelFile source = load_model(resume ? a.at("--resume") : from ? a.at("--from") : a.get("--model"), &is_file);
  if (from && !is_file) throw Usage("--from needs a model file (.cnn), not a description");
  Model& m = source.model;
  if (new_head) {
    const std::string head = m.head_name();
    const std::size_t before = shape_size(m.output_shape());
    m = m.replace_head(new_head);
    std::printf("replaced the head '%s' (%zu outputs) by a new one with %d outputs\n", head.c_str(), before, new_head);
  }
  const std::vector<std::string> freeze = split_names(a.get("--freeze"));
  for (const std::string& f : freeze) {
    if (m.find(f) >= 1) continue;
    std::string names;
    for (std::size_t i = 1; i < m.size(); ++i)
      if (!m.node(i).layer->params().empty()) names += (names.empty() ? "" : ", ") + m.node(i).name;
    throw Usage("--freeze: the model has no layer named '" + f + "' (layers with parameters: " + names + ")");
  }
  const auto [train, val] = train_split(a, d.train);
  const bool resuming = resume && source.is_checkpoint();
  // What this run writes: the model with the preprocessing it is trained with.
  ModelFile file(std::move(m));
  if (source.preprocess && !a.count("--preprocess"))
    file.preprocess = *source.preprocess;
  else if (resuming)
    file.preprocess = Preprocess();  // a checkpoint without the section was trained without (the page's "none")
  else
    file.preprocess = fit_preprocess(pre_spec, train);
  TrainConfig cfg;
  if (resuming) {
    cfg = TrainConfig::from_json(source.training["config"]);
  } else {
    json tc = train_config(a);
    if (!freeze.empty()) tc["freeze"] = freeze;
    cfg = TrainConfig::from_json(tc);
  }
  std::cout << file.model.summary() << "\n";
  if (!cfg.freeze.empty()) {
    std::int64_t frozen = 0;
    for (const std::string& f : cfg.freeze)
      frozen += file.model.node(static_cast<std::size_t>(file.model.find(f))).layer->param_count();
    std::printf("frozen: %lld of %lld parameters (layers %s)\n", static_cast<long long>(frozen),
                static_cast<long long>(file.model.param_count()), a.get("--freeze").c_str());
  }
  Trainer t(file.model, train, &val, *file.preprocess, cfg);
  if (resuming) {
    t.restore(source.training);
    std::printf("resumed at iteration %ld of %ld\n", t.iteration(), t.total_iterations());
  }
  const std::string out = a.get("--out", "model.cnn");
  const std::string ckpt = a.get("--checkpoint");
  const double ckpt_every = number(a, "--checkpoint-every", 60, 0, 1e6);
  const auto write_checkpoint = [&](int epoch) { write_file(checkpoint_path(ckpt, epoch), file.encode_checkpoint(t)); };
  const auto now_s = [] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  };
  const bool tty = isatty(fileno(stderr));
  double last_draw = 0;
  double last_ckpt = now_s();
  t.on_progress = [&](const Progress& p) {
    const double now = now_s();
    // Within an epoch every --checkpoint-every seconds; at an epoch's end on_epoch writes it (with the
    // epoch's record), so not here.
    if (!ckpt.empty() && ckpt_every > 0 && now - last_ckpt >= ckpt_every && p.iteration % p.iterations_per_epoch != 0 &&
        p.iteration < p.total_iterations) {
      write_checkpoint(p.epoch);
      last_ckpt = now;
    }
    if (now - last_draw < 0.2 && p.iteration != p.total_iterations) return;
    last_draw = now;
    const int width = 30, fill = static_cast<int>(width * p.iteration / std::max<long>(1, p.total_iterations));
    std::fprintf(stderr, "%sepoch %d/%d [%s%s] %3ld%% %7.0f img/s  left %s  loss %.4f%s", tty ? "\r" : "", p.epoch,
                 p.epochs, std::string(fill, '#').c_str(), std::string(width - fill, '.').c_str(),
                 100 * p.iteration / std::max<long>(1, p.total_iterations), p.images_per_s,
                 duration(p.eta_seconds).c_str(), p.smoothed_loss, tty ? "" : "\n");
  };
  std::printf("%6s %11s %10s %10s %9s %9s %10s\n", "epoch", "train_loss", "train_acc", "val_loss", "val_acc", "img/s",
              "time");
  t.on_epoch = [&](const EpochRecord& r) {
    if (tty) std::fprintf(stderr, "\n");
    std::printf("%6d %11.4f %10.4f %10.4f %9.4f %9.0f %10s\n", r.epoch, r.train_loss, r.train_accuracy, r.val_loss,
                r.val_accuracy, r.images_per_s, duration(r.seconds).c_str());
    std::fflush(stdout);
    if (!ckpt.empty()) write_checkpoint(r.epoch);
    last_ckpt = now_s();
  };
  t.run();
  if (t.status() == Trainer::Status::diverged) {
    std::fprintf(stderr, "\n%s\n", t.message().c_str());
    if (!ckpt.empty()) write_checkpoint(t.epoch());
    return 1;
  }
  if (!t.message().empty()) std::printf("%s\n", t.message().c_str());
  const Evaluation e = evaluate(file.model, d.test, *file.preprocess);
  file.metrics = training_metrics(t);
  file.metrics["test_accuracy"] = e.accuracy;
  file.save(out);
  std::printf("wrote %s\ntest_accuracy=%.4f\n", out.c_str(), e.accuracy);
  return 0;
}

}  // namespace

Command train_command() {
  return {"train",
          "train a model on MNIST (or IDX files) and write a model file; fine-tune one (--from)",
          std::string("usage: cnn train --model <zoo name | file.json> [options]\n") + kTrainOptionsHelp +
              "  --patience N (early stopping)  --preprocess '<json>' (default {\"mean\":\"channel\",\"std\":true};\n"
              "    also \"pixel\" mean, \"whiten\": \"pca\"|\"zca\")\n"
              "  --out <file.cnn> (model.cnn)  --checkpoint <file.cnn> (written every epoch; {epoch} in the name keeps "
              "one\n"
              "    per epoch)  --checkpoint-every S (60: also every S seconds within an epoch, 0: epochs only; a run "
              "that\n"
              "    is killed loses at most this much)  --resume <file.cnn> (a checkpoint of this CLI or of the page)\n"
              "transfer learning:\n"
              "  --from <base.cnn>       start from a trained model (architecture, weights and preprocessing; a\n"
              "                          fresh optimizer) instead of --model\n"
              "  --freeze a,b,...        layers whose parameters are not updated (their names as in cnn summary)\n"
              "  --replace-head N        replace the last dense layer (or the last conv2d of a model without one)\n"
              "                          by a freshly initialised one with N outputs\n",
          with(kTrainOptions, {"--model", "--patience", "--preprocess", "--out", "--checkpoint", "--checkpoint-every",
                               "--resume", "--from", "--freeze", "--replace-head"}),
          {},
          {},
          run_train};
}

}  // namespace cnn::cli
