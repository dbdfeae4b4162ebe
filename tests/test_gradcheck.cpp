// Central-difference gradient checks of every layer's backward, for its inputs and each parameter,
// over several shapes (stride > 1 and padding included), in both modes where a layer has two.
#include "layers/dropout.h"
#include "test_util.h"

namespace cnn::test {

TEST(GradCheck, Conv2D) {
  grad_check({{"type", "conv2d"}, {"filters", 3}, {"kernel", 3}, {"pad", 1}}, {{2, 2, 5, 5}});
  grad_check({{"type", "conv2d"}, {"filters", 2}, {"kernel", 3}, {"stride", 2}, {"pad", 1}}, {{2, 3, 7, 7}});
  grad_check({{"type", "conv2d"}, {"filters", 2}, {"kernel", {3, 2}}, {"stride", {2, 1}}, {"pad", {1, 0}}},
             {{1, 2, 5, 4}});
  grad_check({{"type", "conv2d"}, {"filters", 4}, {"kernel", 1}}, {{2, 3, 3, 3}});
  grad_check({{"type", "conv2d"}, {"filters", 4}, {"kernel", 3}, {"groups", 2}, {"bias", false}}, {{2, 4, 4, 4}});
  grad_check({{"type", "conv2d"}, {"filters", 2}, {"kernel", 5}, {"pad", 2}, {"stride", 3}}, {{1, 1, 7, 7}});
  // Stride 1 computes dx as a forward correlation of the padded dY with the turned filters:
  // non-square filters, padding from 0 up to kernel - 1 on each axis, groups; and padding as
  // large as the kernel, which takes the im2col path instead.
  grad_check({{"type", "conv2d"}, {"filters", 3}, {"kernel", {3, 2}}, {"pad", {2, 0}}}, {{2, 2, 5, 4}});
  grad_check({{"type", "conv2d"}, {"filters", 4}, {"kernel", {2, 3}}, {"pad", {1, 1}}, {"groups", 2}}, {{2, 4, 4, 5}});
  grad_check({{"type", "conv2d"}, {"filters", 2}, {"kernel", 2}, {"pad", 2}}, {{1, 2, 3, 3}});
  // One input channel: the filter gradient by the direct few-taps kernel (5 filters: 4 + 1).
  grad_check({{"type", "conv2d"}, {"filters", 5}, {"kernel", 3}, {"pad", 1}}, {{2, 1, 6, 5}});
}

TEST(GradCheck, DepthwiseConv2D) {
  grad_check({{"type", "depthwise_conv2d"}, {"kernel", 3}, {"pad", 1}}, {{2, 3, 5, 5}});
  grad_check({{"type", "depthwise_conv2d"}, {"kernel", 3}, {"stride", 2}, {"pad", 1}, {"multiplier", 2}},
             {{1, 2, 5, 5}});
}

TEST(GradCheck, Pooling) {
  grad_check({{"type", "maxpool2d"}, {"size", 2}}, {{2, 2, 4, 4}}, {}, true);
  grad_check({{"type", "maxpool2d"}, {"size", 3}, {"stride", 2}}, {{1, 2, 7, 7}}, {}, true);
  grad_check({{"type", "maxpool2d"}, {"size", 3}}, {{1, 1, 8, 8}}, {}, true);
  grad_check({{"type", "avgpool2d"}, {"size", 2}}, {{2, 2, 4, 6}});
  grad_check({{"type", "avgpool2d"}, {"size", 3}, {"stride", 2}}, {{1, 2, 7, 7}});
  grad_check({{"type", "global_avgpool"}}, {{2, 3, 4, 5}});
}

TEST(GradCheck, DenseAndFlatten) {
  grad_check({{"type", "dense"}, {"units", 5}}, {{3, 2, 3, 3}});
  grad_check({{"type", "dense"}, {"units", 3}, {"bias", false}}, {{2, 7, 1, 1}});
  grad_check({{"type", "flatten"}}, {{2, 2, 3, 3}});
}

TEST(GradCheck, Activations) {
  for (const char* t : {"relu", "sigmoid", "tanh", "gelu"}) grad_check({{"type", t}}, {{2, 3, 4, 4}});
  grad_check({{"type", "leaky_relu"}, {"slope", 0.1}}, {{2, 3, 4, 4}});
  grad_check({{"type", "elu"}, {"alpha", 0.7}}, {{2, 3, 4, 4}});
  grad_check({{"type", "prelu"}}, {{2, 3, 4, 4}});
  grad_check({{"type", "maxout"}, {"k", 2}}, {{2, 4, 3, 3}}, {}, true);
  grad_check({{"type", "maxout"}, {"k", 3}}, {{2, 6, 1, 1}}, {}, true);
}

TEST(GradCheck, BatchNormBothModes) {
  GradCheck train;
  GradCheck infer;
  infer.training = false;
  grad_check({{"type", "batchnorm"}}, {{3, 2, 3, 3}}, train);
  grad_check({{"type", "batchnorm"}}, {{6, 4, 1, 1}}, train);
  grad_check({{"type", "batchnorm"}}, {{3, 2, 3, 3}}, infer);
}

TEST(GradCheck, OtherNormalizations) {
  grad_check({{"type", "layernorm"}}, {{2, 3, 3, 3}});
  grad_check({{"type", "groupnorm"}, {"groups", 2}}, {{2, 4, 3, 3}});
  grad_check({{"type", "groupnorm"}, {"groups", 1}}, {{2, 3, 2, 2}});
  grad_check({{"type", "lrn"}, {"size", 3}, {"alpha", 0.5}, {"beta", 0.75}, {"k", 1.0}}, {{2, 5, 2, 2}});
  grad_check({{"type", "lrn"}, {"size", 4}, {"alpha", 0.8}, {"beta", 0.6}, {"k", 2.0}}, {{1, 6, 2, 2}});
}

TEST(GradCheck, DropoutBothModes) {
  for (bool training : {true, false}) {
    BuiltLayer b = build_layer({{"type", "dropout"}, {"p", 0.4}}, {{2, 3, 4, 4}});
    static_cast<Dropout&>(*b.layer).fix_mask(true);
    Rng rng(3);
    GradCheck o;
    o.training = training;
    grad_check_layer(*b.layer, {random_tensor({2, 3, 4, 4}, rng)}, o);
  }
}

TEST(GradCheck, AddAndConcat) {
  grad_check({{"type", "add"}}, {{2, 3, 2, 2}, {2, 3, 2, 2}, {2, 3, 2, 2}});
  grad_check({{"type", "concat"}}, {{2, 1, 3, 3}, {2, 3, 3, 3}});
}

}  // namespace cnn::test
