// Pool2D's function in the kind table (registry.h), kept apart from pool.cpp.
// ONNX: MaxPool / AveragePool (no padding, floor mode).
#pragma once

#include "nn/layers/pool.h"
#include "nn/layers/registry.h"

namespace cnn {

OnnxValue to_onnx(const Pool2D& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);

}  // namespace cnn
