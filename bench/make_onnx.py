#!/usr/bin/python3
"""Writes bench/onnx/neta.onnx and bench/onnx/netb.onnx: the benchmark's two nets as ONNX graphs
for ONNX Runtime Web (inference only).

Weights do not matter for speed, so none are stored: every weight tensor is made by a
ConstantOfShape node (a constant fill; its only input is a tiny int64 shape initializer), which
ONNX Runtime folds into a constant when the session is created. The files stay a few KB.

Layout NCHW, input "x" [N, 1, 28, 28] with a symbolic batch dimension, output "y" [N, 10]
(softmax probabilities). The layer shapes match bench/nets/neta.json and netb.json.

Run: /usr/bin/python3 bench/make_onnx.py      (needs Debian's python3-onnx: apt-get install -y python3-onnx)
"""
import os

import onnx
from onnx import TensorProto, helper

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "onnx")


class Builder:
    def __init__(self, name):
        self.name = name
        self.nodes = []
        self.inits = []
        self.n = 0

    def fresh(self, base):
        self.n += 1
        return f"{base}_{self.n}"

    def filled(self, name, shape, value):
        """A float tensor of `shape` filled with `value`, made by ConstantOfShape."""
        shape_name = name + "_shape"
        self.inits.append(helper.make_tensor(shape_name, TensorProto.INT64, [len(shape)], list(shape)))
        self.nodes.append(
            helper.make_node(
                "ConstantOfShape",
                [shape_name],
                [name],
                value=helper.make_tensor("v", TensorProto.FLOAT, [1], [value]),
            )
        )
        return name

    def op(self, op_type, inputs, **attrs):
        out = self.fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], **attrs))
        return out

    def conv(self, x, cin, cout, k, pad, name):
        w = self.filled(name + "_w", [cout, cin, k, k], 0.05)
        b = self.filled(name + "_b", [cout], 0.01)
        return self.op("Conv", [x, w, b], kernel_shape=[k, k], pads=[pad] * 4, strides=[1, 1])

    def dense(self, x, fin, fout, name):
        w = self.filled(name + "_w", [fout, fin], 0.01)
        b = self.filled(name + "_b", [fout], 0.0)
        return self.op("Gemm", [x, w, b], transB=1)

    def model(self, x_name, y):
        self.nodes.append(helper.make_node("Identity", [y], ["y"]))
        graph = helper.make_graph(
            self.nodes,
            self.name,
            [helper.make_tensor_value_info(x_name, TensorProto.FLOAT, ["N", 1, 28, 28])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
            initializer=self.inits,
        )
        m = helper.make_model(graph, producer_name="cnn-trainer bench/make_onnx.py",
                              opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 7
        onnx.checker.check_model(m)
        return m


def net_a():
    b = Builder("NetA")
    h = b.conv("x", 1, 8, 5, 2, "conv1")
    h = b.op("Relu", [h])
    h = b.op("MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2])  # 8x14x14
    h = b.conv(h, 8, 16, 5, 2, "conv2")
    h = b.op("Relu", [h])
    h = b.op("MaxPool", [h], kernel_shape=[3, 3], strides=[3, 3])  # 16x4x4 (floor, as ConvNetJS)
    h = b.op("Flatten", [h], axis=1)
    h = b.dense(h, 16 * 4 * 4, 10, "fc")
    return b.model("x", b.op("Softmax", [h], axis=1))


def net_b():
    b = Builder("NetB")
    h = b.conv("x", 1, 32, 3, 0, "conv1")  # 32x26x26
    h = b.op("Relu", [h])
    h = b.conv(h, 32, 64, 3, 0, "conv2")  # 64x24x24
    h = b.op("Relu", [h])
    h = b.op("MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2])  # 64x12x12
    h = b.op("Flatten", [h], axis=1)
    h = b.dense(h, 64 * 12 * 12, 128, "fc1")
    h = b.op("Relu", [h])
    h = b.dense(h, 128, 10, "fc2")
    return b.model("x", b.op("Softmax", [h], axis=1))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    for name, make in (("neta", net_a), ("netb", net_b)):
        path = os.path.join(OUT_DIR, name + ".onnx")
        onnx.save(make(), path)
        print(f"wrote {os.path.relpath(path)} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
