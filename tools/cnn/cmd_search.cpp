// cnn search: a hyperparameter search (random or grid, coarse then fine) scored on the validation split.
#include <cstdio>
#include <fstream>

#include "args.h"
#include "load.h"
#include "train/search.h"

namespace cnn::cli {

namespace {

// One trial's line: its varied parameters, then the result.
void print_trial(const Trial& t, const SearchSpace& space) {
  std::string ps;
  for (auto it = t.params.begin(); it != t.params.end(); ++it) {
    if (space.find(it.key()) && space.find(it.key())->kind == SearchDim::Kind::constant) continue;
    std::string v = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
    if (it.value().is_number_float()) {
      char b[32];
      std::snprintf(b, sizeof b, "%.3g", it.value().get<double>());
      v = b;
    }
    ps += (ps.empty() ? "" : " ") + it.key() + "=" + v;
  }
  if (t.ok())
    std::printf("trial %d (round %d): %s -> val_acc %.4f val_loss %.4f (%.1f s)\n", t.index, t.round, ps.c_str(),
                t.val_accuracy, t.val_loss, t.seconds);
  else
    std::printf("trial %d (round %d): %s -> %s (%.1f s)\n", t.index, t.round, ps.c_str(), t.status.c_str(), t.seconds);
  std::fflush(stdout);
}

int run_search(const Args& a) {
  if (!a.count("--space")) throw Usage("--space is required, e.g. --space '{\"lr\": {\"log\": [1e-4, 1e-1]}}'");
  SearchSpace space;
  try {
    space = SearchSpace::from_json(json_arg(a, "--space", "{\"lr\": {\"log\": [1e-4, 1e-1]}}"));
  } catch (const Error& e) {
    throw Usage(e.what());
  }
  SearchOptions opt;
  opt.method = a.get("--method", "random");
  if (opt.method != "random" && opt.method != "grid") throw Usage("--method must be 'random' or 'grid'");
  if (opt.method == "grid" && a.count("--trials"))
    throw Usage("--trials is for --method random (a grid runs every combination; see --steps)");
  if (opt.method == "random" && a.count("--steps")) throw Usage("--steps is for --method grid");
  opt.trials = static_cast<int>(number(a, "--trials", 8, 1, 100000));
  opt.steps = static_cast<int>(number(a, "--steps", 3, 1, 1000));
  opt.refine = static_cast<int>(number(a, "--refine", 0, 0, 100000));
  opt.seed = static_cast<std::uint32_t>(number(a, "--seed", 1, 0, 2147483647));
  const std::string out = a.get("--out");
  if (!out.empty() && !ends_with(out, ".json") && !ends_with(out, ".csv"))
    throw Usage("--out must name a .json or .csv file");
  if (opt.method == "grid" && grid_size(space, opt.steps) > 100000) throw Usage("the grid has over 100000 points");
  const json desc = load_architecture(a.get("--model"));
  Model probe(desc);  // a clear error now rather than in every trial
  (void)probe;
  Data d = load_data(a);
  const auto [train, val] = train_split(a, d.train);
  if (val.n == 0) throw Usage("--validation must be at least 1: trials are scored on the validation split");
  const json tc = train_config(a);
  try {
    validate_space(space, desc, tc);
  } catch (const Error& e) {
    throw Usage(e.what());
  }
  const Preprocess pre = fit_preprocess("standardize", train);
  const std::size_t planned =
      (opt.method == "grid" ? grid_size(space, opt.steps) : static_cast<std::size_t>(opt.trials)) *
      (opt.refine > 0 ? 2 : 1);
  std::printf("search: %s, %s%zu trials%s; %zu training images, %zu validation images\n", opt.method.c_str(),
              opt.refine > 0 && opt.method == "grid" ? "up to " : "", planned,
              opt.refine > 0 ? (" (coarse, then fine around the best " + std::to_string(opt.refine) + ")").c_str() : "",
              train.n, val.n);
  std::fflush(stdout);
  SearchSpace fine;
  const auto trials = cnn::run_search(
      desc, tc, space, opt, train, val, pre, [&](const Trial& t) { print_trial(t, space); }, &fine);
  if (opt.refine > 0) std::printf("fine round space: %s\n", fine.to_json().dump().c_str());
  std::printf("\nresults (best first, scored on %zu validation images):\n%s", val.n,
              search_table(trials, space).c_str());
  const auto best = ranked(trials);
  if (best.empty() || !best[0].ok()) {
    std::fprintf(stderr, "cnn search: no trial finished\n");
    return 1;
  }
  std::printf("best: trial %d %s val_acc=%.4f\n", best[0].index, best[0].params.dump().c_str(), best[0].val_accuracy);
  if (!out.empty()) {
    std::ofstream f(out, std::ios::binary);
    if (!f) throw Error("cannot write '" + out + "'");
    f << (ends_with(out, ".csv") ? search_csv(trials, space)
                                 : search_json(trials, space, opt.refine > 0 ? &fine : nullptr).dump(2) + "\n");
    if (!f) throw Error("cannot write '" + out + "'");
    std::printf("wrote %s\n", out.c_str());
  }
  return 0;
}

}  // namespace

Command search_command() {
  return {"search",
          "hyperparameter search (random or grid, coarse then fine) scored on the validation split",
          std::string(
              "usage: cnn search --model <zoo name | file> --space '<json>' [options]\n"
              "  --space '<json>'        named ranges, e.g. '{\"lr\": {\"log\": [1e-4, 1e-1]}, \"l2\": {\"log\": "
              "[1e-6, 1e-2]},\n"
              "                          \"optimizer\": [\"adam\", \"sgd\"], \"batch\": [32, 64]}'; also "
              "{\"uniform\": [a, b]},\n"
              "                          {\"int\": [a, b]} and constants. Names: lr, momentum, weight_decay, "
              "optimizer,\n"
              "                          batch, l1, l2, epochs, iterations, seed, optimizer.<opt>, schedule(.<opt>),\n"
              "                          augment.<opt>, model.<layer>.<key>\n"
              "  --method random|grid    random (default): --trials points from --seed; grid: every combination,\n"
              "                          numeric ranges split into --steps points (default 3)\n"
              "  --trials N (8)          random trials per round\n"
              "  --refine K              coarse then fine: a second round narrowed around the best K trials\n"
              "  --out <file.json|file.csv>   write the results table\n"
              "every trial trains from the model's own initial weights (a model file: its architecture only) with\n"
              "the options below as the base configuration, and is scored on the validation split (never the\n"
              "test set)\n") +
              kTrainOptionsHelp,
          with(kTrainOptions, {"--model", "--space", "--method", "--trials", "--steps", "--refine", "--out"}),
          {},
          {},
          run_search};
}

}  // namespace cnn::cli
