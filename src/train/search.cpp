#include "train/search.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>

#include "train/optim/optimizer.h"

namespace cnn {

namespace {

const char* kind_name(SearchDim::Kind k) {
  switch (k) {
    case SearchDim::Kind::log:
      return "log";
    case SearchDim::Kind::uniform:
      return "uniform";
    case SearchDim::Kind::integer:
      return "int";
    default:
      return "";
  }
}

// The dimension's own scale: log10 for "log", the identity otherwise.
double to_scale(const SearchDim& d, double v) { return d.kind == SearchDim::Kind::log ? std::log10(v) : v; }
double from_scale(const SearchDim& d, double v) { return d.kind == SearchDim::Kind::log ? std::pow(10.0, v) : v; }

json numeric_value(const SearchDim& d, double v) {
  if (d.kind == SearchDim::Kind::integer) return static_cast<long long>(std::llround(v));
  return std::min(d.hi, std::max(d.lo, v));
}

// `steps` points spanning [lo, hi] in the dimension's scale (both ends included).
std::vector<json> dim_values(const SearchDim& d, int steps) {
  if (!d.numeric()) return d.choices;
  std::vector<json> out;
  if (d.lo == d.hi) return {numeric_value(d, d.lo)};
  const double a = to_scale(d, d.lo), b = to_scale(d, d.hi);
  for (int i = 0; i < steps; ++i) {
    const double t = steps == 1 ? 0.5 : static_cast<double>(i) / (steps - 1);
    json v = numeric_value(d, from_scale(d, a + (b - a) * t));
    if (i == 0 && steps > 1) v = numeric_value(d, d.lo);  // exact ends, no round-off
    if (i == steps - 1 && steps > 1) v = numeric_value(d, d.hi);
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

std::string format_value(const json& v) {
  if (v.is_number_float()) {
    char b[32];
    std::snprintf(b, sizeof b, "%.3g", v.get<double>());
    return b;
  }
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string csv_value(const json& v) {
  if (v.is_number_float()) {
    char b[32];
    std::snprintf(b, sizeof b, "%.9g", v.get<double>());
    return b;
  }
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\n") != std::string::npos) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  return s;
}

bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

// The options an optimizer kind accepts (its full configuration's keys); empty when unknown.
std::set<std::string> accepted_options(const std::string& type) {
  std::set<std::string> out;
  try {
    const json c = make_optimizer(json{{"type", type}})->config();
    for (auto it = c.begin(); it != c.end(); ++it) out.insert(it.key());
  } catch (const std::exception&) {
  }
  return out;
}

json& object_at(json& parent, const char* key, const char* what) {
  json& v = parent[key];
  if (v.is_null()) v = json::object();
  if (v.is_string()) v = json{{"type", v}};
  if (!v.is_object()) throw Error(std::string("search: the base ") + what + " is not a JSON object");
  return v;
}

}  // namespace

SearchSpace SearchSpace::from_json(const json& j) {
  if (!j.is_object() || j.empty())
    throw Error("search space: expected a JSON object of named ranges, e.g. {\"lr\": {\"log\": [1e-4, 1e-1]}}");
  SearchSpace s;
  for (auto it = j.begin(); it != j.end(); ++it) {
    SearchDim d;
    d.name = it.key();
    const json& v = it.value();
    if (v.is_array()) {
      if (v.empty()) throw Error("search space: '" + d.name + "': the list of choices is empty");
      d.kind = SearchDim::Kind::choice;
      d.choices.assign(v.begin(), v.end());
    } else if (v.is_object()) {
      const std::string usage = "search space: '" + d.name +
                                "': expected {\"log\": [lo, hi]}, {\"uniform\": [lo, hi]}, {\"int\": [lo, hi]}, a list "
                                "of choices or a constant";
      if (v.size() != 1) throw Error(usage);
      const std::string k = v.begin().key();
      const json& r = v.begin().value();
      if (k == "log")
        d.kind = SearchDim::Kind::log;
      else if (k == "uniform" || k == "linear")
        d.kind = SearchDim::Kind::uniform;
      else if (k == "int")
        d.kind = SearchDim::Kind::integer;
      else
        throw Error(usage);
      if (!r.is_array() || r.size() != 2 || !r[0].is_number() || !r[1].is_number()) throw Error(usage);
      d.lo = r[0].get<double>();
      d.hi = r[1].get<double>();
      if (!std::isfinite(d.lo) || !std::isfinite(d.hi) || d.lo > d.hi)
        throw Error("search space: '" + d.name + "': the range [" + r[0].dump() + ", " + r[1].dump() +
                    "] needs finite lo <= hi");
      if (d.kind == SearchDim::Kind::log && d.lo <= 0)
        throw Error("search space: '" + d.name + "': a log range needs lo > 0");
      if (d.kind == SearchDim::Kind::integer && (!r[0].is_number_integer() || !r[1].is_number_integer()))
        throw Error("search space: '" + d.name + "': an int range needs integer ends");
    } else {
      d.kind = SearchDim::Kind::constant;
      d.choices = {v};
    }
    s.dims.push_back(std::move(d));
  }
  return s;
}

json SearchSpace::to_json() const {
  json j = json::object();
  for (const SearchDim& d : dims) {
    if (d.kind == SearchDim::Kind::choice)
      j[d.name] = d.choices;
    else if (d.kind == SearchDim::Kind::constant)
      j[d.name] = d.choices[0];
    else if (d.kind == SearchDim::Kind::integer)
      j[d.name] = {{"int", {std::llround(d.lo), std::llround(d.hi)}}};
    else
      j[d.name] = {{kind_name(d.kind), {d.lo, d.hi}}};
  }
  return j;
}

const SearchDim* SearchSpace::find(const std::string& name) const {
  for (const SearchDim& d : dims)
    if (d.name == name) return &d;
  return nullptr;
}

std::vector<json> sample_random(const SearchSpace& s, int n, Rng& rng) {
  std::vector<json> out;
  for (int i = 0; i < n; ++i) {
    json p = json::object();
    for (const SearchDim& d : s.dims) {
      switch (d.kind) {
        case SearchDim::Kind::log:
        case SearchDim::Kind::uniform: {
          const double u = static_cast<double>(rng.uniform());
          const double a = to_scale(d, d.lo), b = to_scale(d, d.hi);
          p[d.name] = numeric_value(d, from_scale(d, a + (b - a) * u));
          break;
        }
        case SearchDim::Kind::integer: {
          const long long lo = std::llround(d.lo), hi = std::llround(d.hi);
          p[d.name] = lo + static_cast<long long>(rng.below(static_cast<std::uint32_t>(hi - lo + 1)));
          break;
        }
        case SearchDim::Kind::choice:
          p[d.name] = d.choices[rng.below(static_cast<std::uint32_t>(d.choices.size()))];
          break;
        case SearchDim::Kind::constant:
          p[d.name] = d.choices[0];
          break;
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::size_t grid_size(const SearchSpace& s, int steps) {
  std::size_t n = 1;
  for (const SearchDim& d : s.dims) n *= dim_values(d, steps).size();
  return n;
}

std::vector<json> grid_points(const SearchSpace& s, int steps) {
  if (steps < 1) throw Error("grid search: steps must be at least 1");
  std::vector<std::vector<json>> values;
  for (const SearchDim& d : s.dims) values.push_back(dim_values(d, steps));
  std::vector<json> out;
  std::vector<std::size_t> at(values.size(), 0);
  while (true) {
    json p = json::object();
    for (std::size_t k = 0; k < values.size(); ++k) p[s.dims[k].name] = values[k][at[k]];
    out.push_back(std::move(p));
    // Odometer: the last name varies fastest.
    std::size_t k = values.size();
    while (k > 0 && ++at[k - 1] == values[k - 1].size()) at[--k] = 0;
    if (k == 0) break;
  }
  return out;
}

json Trial::to_json() const {
  json j{{"trial", index},     {"round", round},           {"params", params},        {"status", status},
         {"seconds", seconds}, {"iterations", iterations}, {"train_loss", train_loss}};
  if (ok()) {
    j["val_accuracy"] = val_accuracy;
    j["val_loss"] = val_loss;
  }
  return j;
}

std::vector<Trial> ranked(const std::vector<Trial>& trials) {
  std::vector<Trial> r = trials;
  std::stable_sort(r.begin(), r.end(), [](const Trial& a, const Trial& b) {
    if (a.ok() != b.ok()) return a.ok();
    if (!a.ok()) return a.index < b.index;
    if (a.val_accuracy != b.val_accuracy) return a.val_accuracy > b.val_accuracy;
    if (a.val_loss != b.val_loss) return a.val_loss < b.val_loss;
    return a.index < b.index;
  });
  return r;
}

SearchSpace refine_space(const SearchSpace& s, const std::vector<Trial>& trials, int k) {
  if (k < 1) throw Error("refine: K must be at least 1");
  std::vector<Trial> best;
  for (const Trial& t : ranked(trials))
    if (t.ok() && static_cast<int>(best.size()) < k) best.push_back(t);
  if (best.empty()) return s;
  SearchSpace out = s;
  for (SearchDim& d : out.dims) {
    if (d.numeric()) {
      double a = INFINITY, b = -INFINITY;
      for (const Trial& t : best) {
        if (!t.params.contains(d.name) || !t.params[d.name].is_number()) continue;
        const double v = to_scale(d, t.params[d.name].get<double>());
        a = std::min(a, v);
        b = std::max(b, v);
      }
      if (!(a <= b)) continue;
      const double lo = to_scale(d, d.lo), hi = to_scale(d, d.hi), m = (hi - lo) / 4;
      double nlo = from_scale(d, std::max(lo, a - m)), nhi = from_scale(d, std::min(hi, b + m));
      if (d.kind == SearchDim::Kind::integer) nlo = std::floor(nlo + 1e-9), nhi = std::ceil(nhi - 1e-9);
      d.lo = std::max(d.lo, std::min(nlo, nhi));
      d.hi = std::min(d.hi, std::max(nlo, nhi));
    } else if (d.kind == SearchDim::Kind::choice) {
      std::vector<json> keep;
      for (const json& c : d.choices)
        for (const Trial& t : best)
          if (t.params.contains(d.name) && t.params[d.name] == c) {
            keep.push_back(c);
            break;
          }
      if (!keep.empty()) d.choices = keep;
    }
  }
  return out;
}

void apply_trial(const json& params, json& desc, json& tc) {
  static const std::set<std::string> top{"epochs", "iterations", "batch", "l1", "l2", "seed", "patience", "loss"};
  static const std::set<std::string> opt_short{"lr", "momentum", "weight_decay"};
  if (!tc.is_object()) throw Error("search: the training configuration must be a JSON object");
  json& opt = object_at(tc, "optimizer", "optimizer");
  if (!opt.contains("type")) opt["type"] = "sgd";
  std::set<std::string> set_by_trial;
  for (auto it = params.begin(); it != params.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (top.count(k)) {
      tc[k] = v;
    } else if (k == "optimizer") {
      if (!v.is_string()) throw Error("search: 'optimizer' must be an optimizer name, got " + v.dump());
      opt["type"] = v;
    } else if (opt_short.count(k) || starts_with(k, "optimizer.")) {
      const std::string o = opt_short.count(k) ? k : k.substr(10);
      bool known = false;
      for (const auto& kind : optimizer_types()) known = known || accepted_options(kind).count(o);
      if (!known) throw Error("search: no optimizer has an option '" + o + "'");
      opt[o] = v;
      set_by_trial.insert(o);
    } else if (k == "schedule") {
      object_at(tc, "schedule", "schedule")["type"] = v;
    } else if (starts_with(k, "schedule.")) {
      object_at(tc, "schedule", "schedule")[k.substr(9)] = v;
    } else if (starts_with(k, "augment.")) {
      object_at(tc, "augment", "augmentation")[k.substr(8)] = v;
    } else if (starts_with(k, "model.")) {
      const std::string rest = k.substr(6);
      const std::size_t dot = rest.rfind('.');
      if (dot == std::string::npos || dot == 0 || dot + 1 == rest.size())
        throw Error("search: '" + k + "' must be model.<layer>.<key>");
      const std::string layer = rest.substr(0, dot), key = rest.substr(dot + 1);
      bool found = false;
      if (desc.contains("layers") && desc["layers"].is_array())
        for (json& l : desc["layers"])
          if (l.is_object() && l.value("name", std::string()) == layer) {
            l[key] = v;
            found = true;
          }
      if (!found) throw Error("search: '" + k + "': the model has no layer named '" + layer + "'");
    } else {
      throw Error("search: unknown hyperparameter '" + k +
                  "' (known: epochs, iterations, batch, l1, l2, seed, patience, loss, optimizer, lr, momentum, "
                  "weight_decay, optimizer.<option>, schedule, schedule.<option>, augment.<option>, "
                  "model.<layer>.<key>)");
    }
  }
  // Options the trial's optimizer does not have are left out (momentum in a trial of adam).
  const std::set<std::string> ok = accepted_options(opt["type"].is_string() ? opt["type"].get<std::string>() : "");
  if (!ok.empty()) {
    json kept = json::object();
    for (auto it = opt.begin(); it != opt.end(); ++it)
      if (it.key() == "type" || ok.count(it.key())) kept[it.key()] = it.value();
    opt = kept;
  }
}

void validate_space(const SearchSpace& s, const json& model_desc, const json& train_config) {
  for (const SearchDim& d : s.dims) {
    std::vector<json> vals =
        d.numeric() ? std::vector<json>{numeric_value(d, d.lo), numeric_value(d, d.hi)} : d.choices;
    for (const json& v : vals) {
      json desc = model_desc, tc = train_config;
      try {
        apply_trial(json{{d.name, v}}, desc, tc);
        TrainConfig::from_json(tc);
        Model m(desc);
      } catch (const std::exception& e) {
        throw Error("search space: '" + d.name + "' = " + v.dump() + ": " + e.what());
      }
    }
  }
}

std::vector<Trial> run_search(const json& model_desc, const json& train_config, const SearchSpace& space,
                              const SearchOptions& opt, const Dataset& train, const Dataset& validation,
                              const Preprocess& pre, const std::function<void(const Trial&)>& on_trial,
                              SearchSpace* fine) {
  if (opt.method != "random" && opt.method != "grid")
    throw Error("search: method must be 'random' or 'grid', got '" + opt.method + "'");
  if (opt.method == "random" && opt.trials < 1) throw Error("search: trials must be at least 1");
  if (opt.refine < 0) throw Error("search: refine must not be negative");
  if (validation.n == 0) throw Error("search: the validation split is empty (trials are scored on it)");
  Rng rng(opt.seed);
  auto points = [&](const SearchSpace& s) {
    return opt.method == "grid" ? grid_points(s, opt.steps) : sample_random(s, opt.trials, rng);
  };
  std::vector<Trial> trials;
  auto run_round = [&](const std::vector<json>& pts, int round) {
    for (const json& p : pts) {
      Trial t;
      t.index = static_cast<int>(trials.size()) + 1;
      t.round = round;
      t.params = p;
      const auto t0 = std::chrono::steady_clock::now();
      try {
        json desc = model_desc, tc = train_config;
        apply_trial(p, desc, tc);
        const TrainConfig cfg = TrainConfig::from_json(tc);
        Model m(desc);
        Trainer tr(m, train, cfg.patience > 0 ? &validation : nullptr, pre, cfg);
        tr.run();
        t.iterations = tr.iteration();
        if (!tr.history().empty()) t.train_loss = tr.history().back().train_loss;
        if (tr.status() == Trainer::Status::diverged) {
          t.status = "diverged";
        } else {
          const Evaluation e = evaluate(m, validation, pre, 256, cfg.loss);
          t.val_accuracy = e.accuracy;
          t.val_loss = e.loss;
        }
      } catch (const std::exception& e) {
        t.status = std::string("failed: ") + e.what();
      }
      t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      trials.push_back(t);
      if (on_trial) on_trial(trials.back());
    }
  };
  run_round(points(space), 1);
  if (opt.refine > 0) {
    const SearchSpace narrowed = refine_space(space, trials, opt.refine);
    if (fine) *fine = narrowed;
    run_round(points(narrowed), 2);
  }
  return trials;
}

namespace {

struct Columns {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
};

Columns columns(const std::vector<Trial>& trials, const SearchSpace& space, bool csv) {
  Columns c;
  bool two_rounds = false, any_failed = false;
  for (const Trial& t : trials) two_rounds = two_rounds || t.round > 1, any_failed = any_failed || !t.ok();
  std::vector<const SearchDim*> dims;
  for (const SearchDim& d : space.dims)
    if (csv || d.kind != SearchDim::Kind::constant) dims.push_back(&d);
  c.header.push_back("trial");
  if (two_rounds || csv) c.header.push_back("round");
  for (auto* d : dims) c.header.push_back(d->name);
  c.header.insert(c.header.end(), {"val_acc", "val_loss", "time_s"});
  if (csv) c.header.insert(c.header.end(), {"train_loss", "iterations"});
  if (any_failed || csv) c.header.push_back("status");
  for (const Trial& t : ranked(trials)) {
    std::vector<std::string> r{std::to_string(t.index)};
    if (two_rounds || csv) r.push_back(std::to_string(t.round));
    for (auto* d : dims) {
      const json v = t.params.contains(d->name) ? t.params[d->name] : json();
      r.push_back(csv ? csv_value(v) : format_value(v));
    }
    char b[64];
    if (t.ok()) {
      std::snprintf(b, sizeof b, csv ? "%.6f" : "%.4f", t.val_accuracy);
      r.push_back(b);
      std::snprintf(b, sizeof b, csv ? "%.6f" : "%.4f", t.val_loss);
      r.push_back(b);
    } else {
      r.push_back(csv ? "" : "-");
      r.push_back(csv ? "" : "-");
    }
    std::snprintf(b, sizeof b, "%.1f", t.seconds);
    r.push_back(b);
    if (csv) {
      std::snprintf(b, sizeof b, "%.6f", t.train_loss);
      r.push_back(b);
      r.push_back(std::to_string(t.iterations));
    }
    if (any_failed || csv) r.push_back(csv ? csv_value(t.status) : t.status);
    c.rows.push_back(r);
  }
  return c;
}

}  // namespace

std::string search_table(const std::vector<Trial>& trials, const SearchSpace& space) {
  const Columns c = columns(trials, space, false);
  std::vector<std::size_t> w;
  for (const auto& h : c.header) w.push_back(h.size());
  for (const auto& r : c.rows)
    for (std::size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
  std::ostringstream os;
  auto line = [&](const std::vector<std::string>& r) {
    for (std::size_t i = 0; i < r.size(); ++i) {
      const bool last = i + 1 == r.size();
      const bool left = last && c.header[i] == "status";
      if (left)
        os << "  " << r[i];
      else
        os << std::string(w[i] - r[i].size() + (i ? 2 : 0), ' ') << r[i];
    }
    os << "\n";
  };
  line(c.header);
  for (const auto& r : c.rows) line(r);
  return os.str();
}

std::string search_csv(const std::vector<Trial>& trials, const SearchSpace& space) {
  const Columns c = columns(trials, space, true);
  std::ostringstream os;
  auto line = [&](const std::vector<std::string>& r) {
    for (std::size_t i = 0; i < r.size(); ++i) os << (i ? "," : "") << r[i];
    os << "\n";
  };
  line(c.header);
  for (const auto& r : c.rows) line(r);
  return os.str();
}

json search_json(const std::vector<Trial>& trials, const SearchSpace& space, const SearchSpace* fine) {
  json t = json::array();
  for (const Trial& x : ranked(trials)) t.push_back(x.to_json());
  json j{{"space", space.to_json()}, {"trials", t}};
  if (fine) j["fine_space"] = fine->to_json();
  return j;
}

}  // namespace cnn
