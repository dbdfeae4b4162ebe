// Conv2D's functions in the kind table (registry.h), kept apart from conv2d.cpp's algorithms.
// ONNX: Conv (group = groups; depthwise: group = C), weight and bias as they are. A following batch
// norm folds into weight and bias.
#pragma once

#include "nn/layers/conv2d.h"
#include "nn/layers/registry.h"

namespace cnn {

OnnxValue to_onnx(const Conv2D& l, OnnxSink& g, const std::vector<OnnxValue>& in, const Shape& out);
BnFoldTarget bn_fold(Conv2D& l);

}  // namespace cnn
