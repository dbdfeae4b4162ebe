#include "train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "io/serialize.h"

namespace cnn {

namespace {
double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
}  // namespace

TrainConfig TrainConfig::from_json(const json& j) try {
  TrainConfig c;
  if (!j.is_object()) throw Error("training configuration must be a JSON object");
  static const char* known[] = {"epochs", "iterations", "batch",   "optimizer", "schedule", "loss",
                                "l1",     "l2",         "augment", "seed",      "patience", "freeze"};
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (const char* k : known) ok = ok || it.key() == k;
    if (!ok) throw Error("training configuration: unknown option '" + it.key() + "'");
  }
  c.epochs = static_cast<int>(json_int(j, "epochs", 1, "training", 1, 1000000));
  c.iterations = json_int(j, "iterations", 0, "training", 0, 1000000000);
  c.batch = static_cast<int>(json_int(j, "batch", 64, "training", 1, kMaxDim));
  if (j.contains("optimizer"))
    c.optimizer = j["optimizer"].is_string() ? json{{"type", j["optimizer"]}} : j["optimizer"];
  if (j.contains("schedule")) c.schedule = j["schedule"].is_string() ? json{{"type", j["schedule"]}} : j["schedule"];
  if (j.contains("loss")) c.loss = loss_from_string(j["loss"].get<std::string>());
  c.reg.l1 = static_cast<float>(json_num(j, "l1", 0.0, "training"));
  c.reg.l2 = static_cast<float>(json_num(j, "l2", 0.0, "training"));
  if (j.contains("augment")) c.augment = AugmentConfig::from_json(j["augment"]);
  c.seed = static_cast<std::uint32_t>(json_int(j, "seed", 1, "training", 0, 0xFFFFFFFFll));
  c.patience = static_cast<int>(json_int(j, "patience", 0, "training", 0, 1000000));
  if (j.contains("freeze")) {
    if (!j["freeze"].is_array()) throw Error("training: freeze must be an array of layer names");
    for (const json& n : j["freeze"]) {
      if (!n.is_string()) throw Error("training: freeze must be an array of layer names, got " + n.dump());
      c.freeze.push_back(n.get<std::string>());
    }
  }
  if (c.epochs < 1) throw Error("training: epochs must be at least 1");
  if (c.iterations < 0) throw Error("training: iterations must not be negative");
  if (c.batch < 1 || c.batch > 65536) throw Error("training: batch must be in [1, 65536]");
  if (c.patience < 0) throw Error("training: patience must not be negative");
  if (c.reg.l1 < 0 || c.reg.l2 < 0) throw Error("training: l1 and l2 must not be negative");
  make_optimizer(c.optimizer);  // validates
  return c;
} catch (const json::exception& e) {
  throw Error(std::string("the training configuration has a value of the wrong type: ") + e.what());
}

json TrainConfig::to_json() const {
  json j{{"epochs", epochs},
         {"iterations", iterations},
         {"batch", batch},
         {"optimizer", optimizer},
         {"schedule", schedule},
         {"loss", loss_name(loss)},
         {"l1", reg.l1},
         {"l2", reg.l2},
         {"augment", augment.to_json()},
         {"seed", seed},
         {"patience", patience}};
  if (!freeze.empty()) j["freeze"] = freeze;
  return j;
}

json Evaluation::to_json(bool with_predictions) const {
  json j{{"count", count}, {"loss", loss}, {"accuracy", accuracy}, {"confusion", confusion}, {"per_class", per_class}};
  if (with_predictions) {
    j["wrong"] = wrong;
    j["predicted"] = predicted;
  }
  return j;
}

json Progress::to_json() const {
  return {{"iteration", iteration},
          {"total_iterations", total_iterations},
          {"epoch", epoch},
          {"epochs", epochs},
          {"iterations_per_epoch", iterations_per_epoch},
          {"loss", loss},
          {"smoothed_loss", smoothed_loss},
          {"lr", lr},
          {"images_per_s", images_per_s},
          {"eta_seconds", eta_seconds}};
}

json EpochRecord::to_json() const {
  json j{{"epoch", epoch},     {"train_loss", train_loss},     {"train_accuracy", train_accuracy},
         {"seconds", seconds}, {"images_per_s", images_per_s}, {"lr", lr}};
  if (has_validation) {
    j["val_loss"] = val_loss;
    j["val_accuracy"] = val_accuracy;
  }
  return j;
}

static int argmax(const float* p, std::size_t n) {
  std::size_t b = 0;
  for (std::size_t i = 1; i < n; ++i)
    if (p[i] > p[b]) b = i;
  return static_cast<int>(b);
}

Evaluation evaluate(Model& m, const Dataset& d, const Preprocess& pre, int batch, LossKind loss) {
  if (batch < 1) throw Error("evaluate: batch must be at least 1, got " + std::to_string(batch));
  Evaluation e;
  e.count = d.n;
  const std::size_t C = shape_size(m.output_shape());
  if (d.num_classes > static_cast<int>(C))
    throw Error("the model has " + std::to_string(C) + " outputs but the data has " + std::to_string(d.num_classes) +
                " classes");
  e.confusion.assign(C, std::vector<int>(C, 0));
  e.predicted.resize(d.n);
  Tensor x;
  std::vector<int> y;
  std::vector<std::size_t> idx;
  double loss_sum = 0;
  std::size_t correct = 0;
  for (std::size_t s = 0; s < d.n; s += static_cast<std::size_t>(batch)) {
    const std::size_t b = std::min<std::size_t>(static_cast<std::size_t>(batch), d.n - s);
    idx.resize(b);
    for (std::size_t i = 0; i < b; ++i) idx[i] = s + i;
    cnn::batch(d, idx.data(), b, x, y, pre);
    const Tensor& out = m.forward(x, false);
    loss_sum += compute_loss(loss, out, y, nullptr) * static_cast<double>(b);
    for (std::size_t i = 0; i < b; ++i) {
      const int p = argmax(out.data() + i * C, C);
      e.predicted[s + i] = p;
      e.confusion[static_cast<std::size_t>(y[i])][static_cast<std::size_t>(p)]++;
      if (p == y[i])
        ++correct;
      else
        e.wrong.push_back(s + i);
    }
  }
  e.loss = d.n ? loss_sum / static_cast<double>(d.n) : 0.0;
  e.accuracy = d.n ? static_cast<double>(correct) / static_cast<double>(d.n) : 0.0;
  for (std::size_t c = 0; c < C; ++c) {
    long tot = 0;
    for (int v : e.confusion[c]) tot += v;
    e.per_class.push_back(tot ? static_cast<double>(e.confusion[c][c]) / static_cast<double>(tot) : 0.0);
  }
  return e;
}

Trainer::Trainer(Model& model, const Dataset& train, const Dataset* validation, const Preprocess& pre, TrainConfig cfg)
    : model_(model), train_(train), val_(validation), pre_(pre), cfg_(std::move(cfg)) {
  if (train_.n == 0) throw Error("the training set is empty");
  if (train_.sample_shape() != model_.input_shape())
    throw Error("the model expects inputs of " + shape_str(model_.input_shape()) + " but the data has images of " +
                shape_str(train_.sample_shape()));
  const std::size_t C = shape_size(model_.output_shape());
  if (static_cast<std::size_t>(train_.num_classes) > C)
    throw Error("the model has " + std::to_string(C) + " outputs but the data has " +
                std::to_string(train_.num_classes) + " classes: change the last layer to " +
                std::to_string(train_.num_classes) + " units");
  cfg_.augment.validate();
  for (const std::string& f : cfg_.freeze)
    if (model_.find(f) < 1) throw Error("freeze: the model has no layer named '" + f + "'");
  opt_ = make_optimizer(cfg_.optimizer);
  shuffle_rng_.seed(cfg_.seed);
  augment_rng_.seed(cfg_.seed * 2654435761u + 1u);
  const std::size_t b = std::min<std::size_t>(static_cast<std::size_t>(cfg_.batch), train_.n);
  per_epoch_ = static_cast<long>(train_.n / b);
  // long has 32 bits in wasm: the planned iterations are counted in 64 bits and bounded first.
  const std::int64_t planned = cfg_.iterations > 0 ? cfg_.iterations : std::int64_t{per_epoch_} * cfg_.epochs;
  if (planned > 1000000000)
    throw Error("the training would run " + std::to_string(planned) +
                " iterations; this engine plans at most 1,000,000,000 (fewer epochs or a larger batch)");
  epochs_ = cfg_.iterations > 0 ? static_cast<int>((cfg_.iterations + per_epoch_ - 1) / per_epoch_) : cfg_.epochs;
  total_ = cfg_.iterations > 0 ? cfg_.iterations : per_epoch_ * cfg_.epochs;
  cfg_.schedule = resolve_schedule(cfg_.schedule, total_);  // the sizes it leaves out, from the run's length
  sched_ = make_schedule(cfg_.schedule, opt_->lr());
  progress_.total_iterations = total_;
  progress_.epochs = epochs_;
  progress_.iterations_per_epoch = per_epoch_;
  progress_.lr = sched_->lr(0);
  // The step's options are the configuration's. A finite loss can explode too (ReLUs die, logits of
  // 1e30): a thousand times the loss of a uniform guess, ln(C), counts as diverged as well.
  step_options_.loss = cfg_.loss;
  step_options_.reg = cfg_.reg;
  step_options_.max_loss = static_cast<float>(1000.0 * std::max(1.0, std::log(static_cast<double>(C))));
  step_options_.on_output = [this](const Tensor& out) {
    const std::size_t n = out.shape()[0], classes = shape_size(model_.output_shape());
    for (std::size_t i = 0; i < n; ++i) correct_ += argmax(out.data() + i * classes, classes) == y_[i];
  };
  for (const Param& p : model_.params()) {
    const std::string layer = p.name.substr(0, p.name.rfind('.'));
    if (std::find(cfg_.freeze.begin(), cfg_.freeze.end(), layer) == cfg_.freeze.end()) trainable_.push_back(p);
  }
  start_epoch();
}

Trainer::~Trainer() = default;

void Trainer::start_epoch() {
  epoch_rng_state_ = shuffle_rng_.state();
  order_.resize(train_.n);
  for (std::size_t i = 0; i < train_.n; ++i) order_[i] = i;
  shuffle(order_, shuffle_rng_);
  in_epoch_ = 0;
  loss_sum_ = correct_ = seen_ = epoch_seconds_ = 0;
}

bool Trainer::step() {
  const double t0 = now_seconds();
  const std::size_t b = std::min<std::size_t>(static_cast<std::size_t>(cfg_.batch), train_.n);
  const float lr = sched_->lr(iteration_);
  opt_->set_lr(lr);
  batch(train_, order_.data() + in_epoch_ * static_cast<long>(b), b, x_, y_, pre_,
        cfg_.augment.any() ? &cfg_.augment : nullptr, &augment_rng_);
  const StepResult r = train_step(model_, x_, y_, trainable_, *opt_, grad_, step_options_);
  const float loss = r.loss;
  const bool finite = r.finite;
  if (!r.updated) {
    std::ostringstream what;
    if (finite)
      what << "exploded to " << loss << " (over 1000 times the loss of a uniform guess)";
    else
      what << "became " << (std::isnan(loss) ? "NaN" : "non-finite");
    status_ = Status::diverged;
    message_ = "training diverged: the loss " + what.str() + " at iteration " + std::to_string(iteration_ + 1) +
               " (epoch " + std::to_string(epoch_) +
               "); the weights of the last good iteration are kept. Try a smaller learning rate (it was " +
               [lr] {
                 std::ostringstream os;
                 os << lr;
                 return os.str();
               }() +
               ").";
    return false;
  }
  ++iteration_;
  ++in_epoch_;
  loss_sum_ += loss;
  seen_ += static_cast<double>(b);
  smoothed_ = iteration_ == 1 ? loss : 0.98 * smoothed_ + 0.02 * loss;
  epoch_seconds_ += now_seconds() - t0;
  {
    Progress& p = progress_;
    p.iteration = iteration_;
    p.total_iterations = total_;
    p.epoch = epoch_;
    p.epochs = epochs_;
    p.iterations_per_epoch = per_epoch_;
    p.loss = loss;
    p.lr = lr;
    p.smoothed_loss = smoothed_;
    p.images_per_s = epoch_seconds_ > 0 ? seen_ / epoch_seconds_ : 0;
    p.eta_seconds = p.images_per_s > 0 ? static_cast<double>(total_ - iteration_) * b / p.images_per_s : 0;
  }
  if (on_progress) on_progress(progress_);
  return true;
}

void Trainer::end_epoch() {
  EpochRecord r;
  r.epoch = epoch_;
  r.train_loss = in_epoch_ ? loss_sum_ / static_cast<double>(in_epoch_) : 0;
  r.train_accuracy = seen_ > 0 ? correct_ / seen_ : 0;
  r.seconds = epoch_seconds_;
  r.images_per_s = epoch_seconds_ > 0 ? seen_ / epoch_seconds_ : 0;
  r.lr = opt_->lr();
  if (val_ && val_->n > 0) {
    const Evaluation e = evaluate(model_, *val_, pre_, 256, cfg_.loss);
    r.has_validation = true;
    r.val_loss = e.loss;
    r.val_accuracy = e.accuracy;
    if (cfg_.patience > 0) {
      if (e.accuracy > best_val_) {
        best_val_ = e.accuracy;
        since_best_ = 0;
        best_params_ = model_document(model_);
      } else if (++since_best_ >= cfg_.patience) {
        status_ = Status::early_stopped;
        message_ = "early stopping after epoch " + std::to_string(epoch_) +
                   ": validation accuracy has not improved for " + std::to_string(cfg_.patience) +
                   " epochs; the best weights (validation accuracy " + std::to_string(best_val_) + ") are restored";
        load_state_into(model_, best_params_);
      }
    }
  }
  history_.push_back(r);
  if (on_epoch) on_epoch(r);
}

bool Trainer::run(long max_steps) {
  long done = 0;
  while (status_ == Status::running && (max_steps < 0 || done < max_steps)) {
    if (iteration_ >= total_) {
      status_ = Status::finished;
      break;
    }
    if (!step()) break;
    ++done;
    if (in_epoch_ == per_epoch_ || iteration_ == total_) {
      end_epoch();
      if (status_ != Status::running) break;
      if (iteration_ < total_) {
        ++epoch_;
        start_epoch();
      } else {
        status_ = Status::finished;
      }
    }
  }
  return status_ == Status::running;
}

bool Trainer::run_for(double max_seconds, long max_steps) {
  const double t0 = now_seconds();
  for (long done = 0; max_steps < 0 || done < max_steps; ++done)
    if (!run(1) || (max_seconds > 0 && now_seconds() - t0 >= max_seconds)) break;
  return status_ == Status::running;
}

const char* Trainer::status_name(Status s) {
  switch (s) {
    case Status::running:
      return "running";
    case Status::finished:
      return "finished";
    case Status::early_stopped:
      return "early_stopped";
    case Status::diverged:
      return "diverged";
  }
  return "?";
}

json Trainer::checkpoint() const {
  json h = json::array();
  for (const EpochRecord& r : history_) h.push_back(r.to_json());
  json c{{"config", cfg_.to_json()},
         {"iteration", iteration_},
         {"epoch", epoch_},
         {"in_epoch", in_epoch_},
         {"optimizer_state", opt_->state()},
         {"epoch_rng", epoch_rng_state_},
         {"shuffle_rng", shuffle_rng_.state()},
         {"augment_rng", augment_rng_.state()},
         {"sums", {loss_sum_, correct_, seen_, smoothed_, epoch_seconds_}},
         {"history", h},
         {"best_val", best_val_},
         {"since_best", since_best_},
         {"status", static_cast<int>(status_)},
         {"message", message_}};
  json rngs = json::object();
  for (std::size_t i = 1; i < model_.size(); ++i) {
    const std::string s = model_.node(i).layer->rng_state();
    if (!s.empty()) rngs[model_.node(i).name] = s;
  }
  c["layer_rngs"] = rngs;
  if (!best_params_.is_null()) c["best_params"] = best_params_["params"], c["best_buffers"] = best_params_["buffers"];
  return c;
}

void Trainer::restore(const json& t) {
  try {
    iteration_ = t.at("iteration").get<long>();
    epoch_ = t.at("epoch").get<int>();
    opt_->load_state(t.at("optimizer_state"));
    shuffle_rng_.set_state(t.at("epoch_rng").get<std::string>());
    start_epoch();  // regenerates this epoch's order from the saved state
    in_epoch_ = t.at("in_epoch").get<long>();
    shuffle_rng_.set_state(t.at("shuffle_rng").get<std::string>());
    augment_rng_.set_state(t.at("augment_rng").get<std::string>());
    const json& s = t.at("sums");
    loss_sum_ = s.at(0), correct_ = s.at(1), seen_ = s.at(2), smoothed_ = s.at(3), epoch_seconds_ = s.at(4);
    history_.clear();
    for (const json& r : t.at("history")) {
      EpochRecord e;
      e.epoch = r.at("epoch");
      e.train_loss = r.at("train_loss");
      e.train_accuracy = r.at("train_accuracy");
      e.seconds = r.at("seconds");
      e.images_per_s = r.at("images_per_s");
      e.lr = r.at("lr");
      e.has_validation = r.contains("val_loss");
      if (e.has_validation) e.val_loss = r.at("val_loss"), e.val_accuracy = r.at("val_accuracy");
      history_.push_back(e);
    }
    best_val_ = t.at("best_val");
    since_best_ = t.at("since_best");
    const int status = t.at("status").get<int>();
    if (status < static_cast<int>(Status::running) || status > static_cast<int>(Status::diverged))
      throw Error("the checkpoint's training status " + std::to_string(status) + " is not one this engine writes");
    status_ = static_cast<Status>(status);
    message_ = t.at("message");
    for (auto it = t.at("layer_rngs").begin(); it != t.at("layer_rngs").end(); ++it) {
      const int n = model_.find(it.key());
      if (n < 0) throw Error("layer '" + it.key() + "' is not in the model");
      model_.node(static_cast<std::size_t>(n)).layer->set_rng_state(it.value().get<std::string>());
    }
    if (t.contains("best_params"))
      best_params_ = {{"params", t["best_params"]}, {"buffers", t.value("best_buffers", json::object())}};
  } catch (const json::exception& e) {
    throw Error(std::string("the checkpoint's training state is malformed: ") + e.what());
  }
  if (iteration_ < 0 || iteration_ > total_ || in_epoch_ < 0 || in_epoch_ > per_epoch_ || epoch_ < 1 ||
      epoch_ > epochs_)
    throw Error("the checkpoint does not fit this training run (different data or batch size?)");
  // A checkpoint written at the end of an epoch (the CLI writes one after every epoch; the page one
  // with each epoch's results) holds the finished epoch's order with in_epoch == per_epoch. Go on as
  // run() does after end_epoch: the next epoch's order from the saved shuffle state, or finished.
  if (in_epoch_ == per_epoch_ && status_ == Status::running) {
    if (iteration_ < total_) {
      ++epoch_;
      start_epoch();
    } else {
      status_ = Status::finished;
    }
  }
  progress_.iteration = iteration_;
  progress_.epoch = epoch_;
  progress_.smoothed_loss = smoothed_;
  progress_.lr = sched_->lr(iteration_ > 0 ? iteration_ - 1 : 0);
}

}  // namespace cnn
