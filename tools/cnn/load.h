// What the commands read: models (--model, --from, --resume) and data (--data, --images/--labels,
// --validation, --subset).
#pragma once

#include <string>
#include <utility>

#include "args.h"
#include "data/dataset.h"
#include "io/model_file.h"

namespace cnn::cli {

// A zoo name (web/models/<name>.json), a JSON description, or a model file (io/model_file.h). A
// description gives a fresh model and no other section; *is_file says which it was.
ModelFile load_model(const std::string& m, bool* is_file = nullptr);
// The architecture alone (a model file's weights are not built).
json load_architecture(const std::string& m);

struct Data {
  Dataset train, test;
};
Data load_data(const Args& a);
// The training and validation splits (--validation, --subset), as cnn train makes them.
std::pair<Dataset, Dataset> train_split(const Args& a, const Dataset& all);

}  // namespace cnn::cli
