// Ensembles and test-time augmentation (TTA).
//
// The prediction for an image x is the average of softmax probabilities over M models (each with
// its own fitted preprocessing, as saved in its model file) and V views of the image:
//   p(x) = 1 / (M V) * sum_m sum_v softmax(f_m(pre_m(view_v(x))))
// A view is an exact whole-pixel shift of the raw [0, 1] pixels with zero fill (the integer shift
// of the augmentation's "translate": transform_image with angle 0 and scale 1), applied before the
// preprocessing, as augmentation is in training. Standard TTA (tta_views(true)) uses 5 views: the
// image itself and its shifts by one pixel left, right, up and down:
//   (0, 0), (-1, 0), (+1, 0), (0, -1), (0, +1)      as (dx, dy), +x right, +y down.
// The reported loss is the cross-entropy of the averaged probabilities, -log p_y; for one model and
// the identity view it is evaluate()'s loss up to rounding, and the predictions are identical.
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"
#include "nn/model.h"
#include "train/trainer.h"

namespace cnn {

struct EnsembleMember {
  Model* model;
  const Preprocess* pre;
};

struct View {
  int dx = 0, dy = 0;
};
// {(0,0)} without TTA; the 5 views above with.
std::vector<View> tta_views(bool tta);

// Averaged probabilities of a batch of raw pixels x {N, C, H, W} (values in [0, 1]): probs {N, D}
// row-major. member_probs (when given) receives each member's own average over the views.
void ensemble_probabilities(const std::vector<EnsembleMember>& members, const Tensor& x, const std::vector<View>& views,
                            std::vector<double>& probs, std::vector<std::vector<double>>* member_probs = nullptr);

struct EnsembleEvaluation {
  Evaluation combined;                  // the ensemble (with the views)
  std::vector<double> member_accuracy;  // each member alone (with the same views)
};

// Evaluates the ensemble on a whole dataset. Members must share the input shape (that of the data)
// and the number of outputs; throws cnn::Error otherwise.
EnsembleEvaluation evaluate_ensemble(const std::vector<EnsembleMember>& members, const Dataset& d,
                                     const std::vector<View>& views, int batch = 256);

}  // namespace cnn
