#!/usr/bin/env python3
"""Generate golden reference data for the CNN engine's layer / loss / regularizer tests.

What it generates (all into the directory containing this script, tests/golden/):
  <kind>.json        one file per layer kind: conv2d, depthwise_conv2d, maxpool2d,
                     avgpool2d, global_avgpool, dense, flatten, relu, sigmoid, tanh,
                     leaky_relu, prelu, elu, gelu, maxout, batchnorm, layernorm,
                     groupnorm, lrn, add, concat.
                     Format: {"kind": k, "cases": [case, ...]} where each case holds the
                     layer config (as our JSON builder accepts it), the training flag,
                     inputs, params, (batchnorm) buffers before/after, output,
                     a random upstream gradient grad_output and the resulting
                     grad_inputs / grad_params (gradients of sum(output * grad_output)).
  losses.json        softmax_cross_entropy and multiclass hinge (CS231n SVM, delta=1)
                     loss values and gradients w.r.t. the logits.
  regularizers.json  l2 / l1 / elastic penalties and their gradients.

Conventions:
  * All tensors are NCHW, written flat (row-major) together with their shape.
    Layers whose natural output is 2-D (dense, flatten) report output_shape [N, F, 1, 1].
  * Random values are drawn as float32 (so they are exactly representable in the
    engine's float type) and all references are then computed in float64.
  * Deterministic: every file is generated from its own fixed seed, single-threaded.
  * Every case is additionally checked with a central finite difference along a
    random direction, and several layers are cross-checked against hand-written
    reference implementations (see the check_* functions).

How to run (needs PyTorch; use Debian's python3-torch, i.e. the system interpreter):
    /usr/bin/python3 tests/golden/gen_golden.py
"""

import json
import math
import os
import zlib

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
torch.manual_seed(0)

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
DT = torch.float64


# --------------------------------------------------------------------------- helpers

def seed_for(name):
    """Independent, fixed seed per output file (adding a kind does not change others)."""
    torch.manual_seed(zlib.crc32(name.encode()) & 0x7FFFFFFF)


def rand(*shape, scale=1.0, shift=0.0):
    """float32 draw, converted to float64 (values exactly representable as float32)."""
    t = torch.randn(*shape, dtype=torch.float32)
    t = (t * scale + shift) if (scale != 1.0 or shift != 0.0) else t
    return t.to(torch.float32).to(DT)


def flat(t):
    return t.detach().reshape(-1).tolist()


def shape4(t):
    s = list(t.shape)
    if len(s) == 2:
        s = s + [1, 1]
    assert len(s) == 4, s
    return s


def all_finite(obj):
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, dict):
        return all(all_finite(v) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return all(all_finite(v) for v in obj)
    return True


def close(a, b, tol=1e-10):
    a = torch.as_tensor(a, dtype=DT)
    b = torch.as_tensor(b, dtype=DT)
    assert a.shape == b.shape, (a.shape, b.shape)
    err = (a - b).abs().max().item() if a.numel() else 0.0
    scale = max(1.0, b.abs().max().item() if b.numel() else 0.0)
    assert err <= tol * scale, f"mismatch: max abs err {err}"


def fd_check(fn, inputs, params, gout, g_inputs, g_params):
    """Central finite difference of L = sum(fn(...) * gout) along a random direction."""
    leaves = list(inputs) + list(params.values())
    grads = list(g_inputs) + list(g_params.values())
    dirs = [torch.randn(l.shape, dtype=DT) for l in leaves]
    h = 1e-6

    def L(sign):
        xs = [(l.detach() + sign * h * d) for l, d in zip(leaves, dirs)]
        ins = xs[:len(inputs)]
        ps = dict(zip(params.keys(), xs[len(inputs):]))
        with torch.no_grad():
            return (fn(ins, ps) * gout).sum().item()

    num = (L(1.0) - L(-1.0)) / (2 * h)
    ana = sum((g * d).sum().item() for g, d in zip(grads, dirs))
    assert abs(num - ana) <= 1e-6 * max(1.0, abs(ana)), f"finite-difference mismatch {num} vs {ana}"


def make_case(name, layer, fn, inputs, params=None, training=True, buffers=None, check=None):
    """fn(list_of_input_tensors, dict_of_param_tensors) -> output tensor (float64).

    For batchnorm, fn may mutate the tensors in `buffers` (running stats)."""
    params = params or {}
    xs = [x.clone().requires_grad_(True) for x in inputs]
    ps = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    bufs_before = {k: flat(v) for k, v in (buffers or {}).items()}

    out = fn(xs, ps)
    gout = rand(*out.shape)
    out.backward(gout)

    case = {
        "name": name,
        "layer": layer,
        "training": training,
        "input_shapes": [shape4(x) for x in xs],
        "inputs": [flat(x) for x in xs],
        "params": {k: flat(v) for k, v in ps.items()},
    }
    if buffers is not None:
        case["buffers"] = bufs_before
    case["output_shape"] = shape4(out)
    case["output"] = flat(out)
    case["grad_output"] = flat(gout)
    case["grad_inputs"] = [flat(x.grad) for x in xs]
    case["grad_params"] = {k: flat(v.grad) for k, v in ps.items()}
    if buffers is not None and training:
        case["buffers_after"] = {k: flat(v) for k, v in buffers.items()}

    # independent checks (for batchnorm the finite-difference passes may update the
    # running buffers again; that is harmless because they were recorded above)
    fd_check(fn, [x.detach() for x in xs], {k: v.detach() for k, v in ps.items()},
             gout, [x.grad for x in xs], {k: v.grad for k, v in ps.items()})
    if check is not None:
        check([x.detach() for x in xs], {k: v.detach() for k, v in ps.items()}, out.detach())
    assert all_finite(case)
    return case


def write_json(fname, obj, list_key="cases"):
    path = os.path.join(OUT_DIR, fname)
    head = {k: v for k, v in obj.items() if k != list_key}
    with open(path, "w") as f:
        f.write("{")
        for k, v in head.items():
            f.write(json.dumps(k) + ": " + json.dumps(v) + ", ")
        f.write(json.dumps(list_key) + ": [\n")
        items = obj[list_key]
        for i, c in enumerate(items):
            f.write(json.dumps(c, separators=(",", ":"), allow_nan=False))
            f.write(",\n" if i + 1 < len(items) else "\n")
        f.write("]}\n")
    # round-trip sanity
    with open(path) as f:
        json.load(f)
    return path


def write_kind(kind, cases):
    assert 3 <= len(cases) <= 5, kind
    return write_json(kind + ".json", {"kind": kind, "cases": cases})


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


# --------------------------------------------------------------------------- conv

def naive_conv(x, w, b, stride, pad, groups):
    N, C, H, W = x.shape
    K, Cg, FH, FW = w.shape
    SH, SW = stride
    PH, PW = pad
    xp = F.pad(x, (PW, PW, PH, PH))
    OH = (H + 2 * PH - FH) // SH + 1
    OW = (W + 2 * PW - FW) // SW + 1
    out = torch.zeros(N, K, OH, OW, dtype=DT)
    Kg = K // groups
    for n in range(N):
        for k in range(K):
            g = k // Kg
            for oh in range(OH):
                for ow in range(OW):
                    patch = xp[n, g * Cg:(g + 1) * Cg, oh * SH:oh * SH + FH, ow * SW:ow * SW + FW]
                    out[n, k, oh, ow] = (patch * w[k]).sum() + b[k]
    return out


def conv_case(name, N, C, H, W, K, kernel, stride, pad, groups=1, type_="conv2d", extra=None):
    FH, FW = pair(kernel)
    SH, SW = pair(stride)
    PH, PW = pair(pad)
    assert (H - FH + 2 * PH) % SH == 0 and (W - FW + 2 * PW) % SW == 0, name
    if type_ == "conv2d":
        layer = {"type": "conv2d", "filters": K, "kernel": kernel, "stride": stride,
                 "pad": pad, "groups": groups, "bias": True}
    else:
        layer = {"type": "depthwise_conv2d", "kernel": kernel, "stride": stride,
                 "pad": pad, "multiplier": extra}
    x = rand(N, C, H, W)
    w = rand(K, C // groups, FH, FW, scale=0.5)
    b = rand(K, scale=0.5)

    def fn(i, p):
        return F.conv2d(i[0], p["weight"], p["bias"], stride=(SH, SW), padding=(PH, PW), groups=groups)

    def check(i, p, out):
        close(out, naive_conv(i[0], p["weight"], p["bias"], (SH, SW), (PH, PW), groups))

    return make_case(name, layer, fn, [x], {"weight": w, "bias": b}, check=check)


def gen_conv2d():
    seed_for("conv2d")
    return [
        conv_case("3x3 stride1 pad1, 2x3x6x5 -> 4 filters", 2, 3, 6, 5, 4, 3, 1, 1),
        conv_case("5x5 stride2 pad2, 2x2x9x7 -> 3 filters", 2, 2, 9, 7, 3, 5, 2, 2),
        conv_case("kernel [3,2] stride [2,1] pad [1,0], 3x2x7x5 -> 3 filters",
                  3, 2, 7, 5, 3, [3, 2], [2, 1], [1, 0]),
        conv_case("1x1 conv, 2x4x5x5 -> 3 filters", 2, 4, 5, 5, 3, 1, 1, 0),
        conv_case("groups=2 3x3 stride2 pad1, 2x4x7x7 -> 6 filters", 2, 4, 7, 7, 6, 3, 2, 1, groups=2),
    ]


def gen_depthwise():
    seed_for("depthwise_conv2d")

    def dw(name, N, C, H, W, kernel, stride, pad, mult):
        return conv_case(name, N, C, H, W, C * mult, kernel, stride, pad, groups=C,
                         type_="depthwise", extra=mult)

    return [
        dw("3x3 stride1 pad1 mult1, 2x3x6x6", 2, 3, 6, 6, 3, 1, 1, 1),
        dw("3x3 stride1 pad1 mult2, 2x2x5x6", 2, 2, 5, 6, 3, 1, 1, 2),
        dw("3x3 stride2 pad1 mult1, 2x4x7x7", 2, 4, 7, 7, 3, 2, 1, 1),
        dw("5x5 stride2 pad2 mult2, 3x2x9x7", 3, 2, 9, 7, 5, 2, 2, 2),
    ]


# --------------------------------------------------------------------------- pooling

def naive_pool(x, size, stride, op):
    N, C, H, W = x.shape
    OH = (H - size) // stride + 1
    OW = (W - size) // stride + 1
    out = torch.zeros(N, C, OH, OW, dtype=DT)
    for oh in range(OH):
        for ow in range(OW):
            win = x[:, :, oh * stride:oh * stride + size, ow * stride:ow * stride + size].reshape(N, C, -1)
            out[:, :, oh, ow] = win.max(dim=2).values if op == "max" else win.mean(dim=2)
    return out


def pool_cases(kind):
    seed_for(kind)
    op = "max" if kind == "maxpool2d" else "avg"
    cases = []
    for name, (N, C, H, W), size, stride in [
        ("2/2 on 2x3x8x6", (2, 3, 8, 6), 2, 2),
        ("3/3 on 2x2x14x14 (floor: 4x4 out)", (2, 2, 14, 14), 3, 3),
        ("3/2 on 2x3x9x7", (2, 3, 9, 7), 3, 2),
    ]:
        x = rand(N, C, H, W)

        def fn(i, p, size=size, stride=stride):
            if op == "max":
                return F.max_pool2d(i[0], size, stride)
            return F.avg_pool2d(i[0], size, stride)

        def check(i, p, out, size=size, stride=stride):
            close(out, naive_pool(i[0], size, stride, op))

        cases.append(make_case(name, {"type": kind, "size": size, "stride": stride}, fn, [x], check=check))
    return cases


def gen_global_avgpool():
    seed_for("global_avgpool")
    cases = []
    for (N, C, H, W) in [(2, 3, 5, 4), (3, 4, 3, 3), (2, 5, 7, 6)]:
        x = rand(N, C, H, W)
        cases.append(make_case(f"{N}x{C}x{H}x{W}", {"type": "global_avgpool"},
                               lambda i, p: i[0].mean(dim=(2, 3), keepdim=True), [x]))
    return cases


# --------------------------------------------------------------------------- dense / flatten

def gen_dense():
    seed_for("dense")
    cases = []
    for (N, C, H, W), U in [((2, 3, 4, 4), 5), ((3, 10, 1, 1), 4), ((2, 2, 3, 5), 3)]:
        x = rand(N, C, H, W)
        D = C * H * W
        w = rand(U, D, scale=1.0 / math.sqrt(D))
        b = rand(U, scale=0.5)

        def check(i, p, out):
            xf = i[0].reshape(i[0].shape[0], -1)
            close(out, xf @ p["weight"].t() + p["bias"])

        cases.append(make_case(f"{N}x{C}x{H}x{W} -> {U} units", {"type": "dense", "units": U, "bias": True},
                               lambda i, p: F.linear(i[0].flatten(1), p["weight"], p["bias"]),
                               [x], {"weight": w, "bias": b}, check=check))
    return cases


def gen_flatten():
    seed_for("flatten")
    cases = []
    for (N, C, H, W) in [(2, 3, 4, 4), (3, 2, 3, 5), (2, 5, 1, 1)]:
        x = rand(N, C, H, W)
        cases.append(make_case(f"{N}x{C}x{H}x{W}", {"type": "flatten"},
                               lambda i, p: i[0].flatten(1), [x]))
    return cases


# --------------------------------------------------------------------------- activations

ACT_SHAPES = [(2, 3, 4, 5), (3, 2, 5, 5), (2, 4, 3, 3)]


def simple_act(kind, fn, ref):
    seed_for(kind)
    cases = []
    for (N, C, H, W) in ACT_SHAPES:
        x = rand(N, C, H, W, scale=1.5)

        def check(i, p, out):
            close(out, ref(i[0]))

        cases.append(make_case(f"{N}x{C}x{H}x{W}", {"type": kind}, lambda i, p: fn(i[0]), [x], check=check))
    return cases


def gen_leaky_relu():
    seed_for("leaky_relu")
    cases = []
    for (N, C, H, W), slope in zip(ACT_SHAPES, [0.01, 0.2, 0.01]):
        x = rand(N, C, H, W, scale=1.5)

        def check(i, p, out, slope=slope):
            close(out, torch.where(i[0] > 0, i[0], slope * i[0]))

        cases.append(make_case(f"slope {slope}, {N}x{C}x{H}x{W}", {"type": "leaky_relu", "slope": slope},
                               lambda i, p, slope=slope: F.leaky_relu(i[0], slope), [x], check=check))
    return cases


def gen_prelu():
    seed_for("prelu")
    cases = []
    for (N, C, H, W) in ACT_SHAPES:
        x = rand(N, C, H, W, scale=1.5)
        a = rand(C, scale=0.1, shift=0.25)

        def check(i, p, out):
            al = p["weight"].view(1, -1, 1, 1)
            close(out, torch.where(i[0] > 0, i[0], al * i[0]))

        cases.append(make_case(f"{N}x{C}x{H}x{W}", {"type": "prelu"},
                               lambda i, p: F.prelu(i[0], p["weight"]), [x], {"weight": a}, check=check))
    return cases


def gen_elu():
    seed_for("elu")
    cases = []
    for (N, C, H, W), alpha in zip(ACT_SHAPES, [1.0, 0.5, 1.0]):
        x = rand(N, C, H, W, scale=1.5)

        def check(i, p, out, alpha=alpha):
            close(out, torch.where(i[0] > 0, i[0], alpha * (torch.exp(i[0]) - 1)))

        cases.append(make_case(f"alpha {alpha}, {N}x{C}x{H}x{W}", {"type": "elu", "alpha": alpha},
                               lambda i, p, alpha=alpha: F.elu(i[0], alpha), [x], check=check))
    return cases


def gen_maxout():
    seed_for("maxout")
    cases = []
    for (N, C, H, W), k in [((2, 4, 3, 5), 2), ((2, 6, 4, 4), 3), ((3, 8, 2, 3), 4)]:
        x = rand(N, C, H, W)

        def fn(i, p, k=k):
            n, c, h, w = i[0].shape
            return i[0].view(n, c // k, k, h, w).max(dim=2).values

        def check(i, p, out, k=k):
            x = i[0]
            ref = torch.stack([torch.stack([x[:, j * k + t] for t in range(k)], 0).max(0).values
                               for j in range(x.shape[1] // k)], 1)
            close(out, ref)

        cases.append(make_case(f"k={k}, {N}x{C}x{H}x{W}", {"type": "maxout", "k": k}, fn, [x], check=check))
    return cases


# --------------------------------------------------------------------------- normalization

def gen_batchnorm():
    seed_for("batchnorm")
    cases = []
    m, eps = 0.1, 1e-5
    for name, (N, C, H, W), training in [
        ("training 2x3x4x5", (2, 3, 4, 5), True),
        ("training after dense 4x5x1x1", (4, 5, 1, 1), True),
        ("training 3x4x3x3", (3, 4, 3, 3), True),
        ("inference 2x3x4x4 (running stats)", (2, 3, 4, 4), False),
    ]:
        x = rand(N, C, H, W, scale=2.0, shift=0.5)
        g = rand(C, scale=0.3, shift=1.0)
        b = rand(C, scale=0.5)
        rm = rand(C, scale=0.5)
        rv = (rand(C, scale=0.5).abs() + 0.5).to(torch.float32).to(DT)
        bufs = {"running_mean": rm, "running_var": rv}
        rm0, rv0 = rm.clone(), rv.clone()

        def fn(i, p, bufs=bufs, training=training):
            return F.batch_norm(i[0], bufs["running_mean"], bufs["running_var"], p["weight"], p["bias"],
                                training=training, momentum=m, eps=eps)

        case = make_case(name, {"type": "batchnorm", "momentum": m, "eps": eps}, fn, [x],
                         {"weight": g, "bias": b}, training=training, buffers=bufs)

        # independent check of forward and running-stat update
        xd = x
        if training:
            mean = xd.mean(dim=(0, 2, 3))
            var_b = ((xd - mean.view(1, -1, 1, 1)) ** 2).mean(dim=(0, 2, 3))
            cnt = N * H * W
            var_u = var_b * cnt / (cnt - 1)
            close(case["buffers_after"]["running_mean"], (1 - m) * rm0 + m * mean)
            close(case["buffers_after"]["running_var"], (1 - m) * rv0 + m * var_u)
        else:
            mean, var_b = rm0, rv0
            assert "buffers_after" not in case
        ref = (xd - mean.view(1, -1, 1, 1)) / torch.sqrt(var_b.view(1, -1, 1, 1) + eps) * g.view(1, -1, 1, 1) \
            + b.view(1, -1, 1, 1)
        close(torch.tensor(case["output"], dtype=DT), ref.reshape(-1))
        cases.append(case)
    return cases


def gen_layernorm():
    seed_for("layernorm")
    cases = []
    eps = 1e-5
    for (N, C, H, W) in [(2, 3, 4, 5), (3, 2, 3, 3), (2, 8, 1, 1)]:
        x = rand(N, C, H, W, scale=2.0, shift=0.3)
        w = rand(C, H, W, scale=0.3, shift=1.0)
        b = rand(C, H, W, scale=0.5)

        def fn(i, p):
            return F.layer_norm(i[0], list(i[0].shape[1:]), p["weight"], p["bias"], eps)

        def check(i, p, out):
            x = i[0]
            mu = x.mean(dim=(1, 2, 3), keepdim=True)
            var = ((x - mu) ** 2).mean(dim=(1, 2, 3), keepdim=True)
            close(out, (x - mu) / torch.sqrt(var + eps) * p["weight"] + p["bias"])

        cases.append(make_case(f"{N}x{C}x{H}x{W}", {"type": "layernorm", "eps": eps}, fn, [x],
                               {"weight": w, "bias": b}, check=check))
    return cases


def gen_groupnorm():
    seed_for("groupnorm")
    cases = []
    eps = 1e-5
    for (N, C, H, W), G in [((2, 4, 3, 5), 2), ((2, 6, 4, 4), 3), ((3, 3, 3, 3), 1), ((2, 4, 3, 3), 4)]:
        x = rand(N, C, H, W, scale=2.0, shift=0.3)
        w = rand(C, scale=0.3, shift=1.0)
        b = rand(C, scale=0.5)

        def fn(i, p, G=G):
            return F.group_norm(i[0], G, p["weight"], p["bias"], eps)

        def check(i, p, out, G=G):
            x = i[0]
            n, c, h, w_ = x.shape
            xg = x.reshape(n, G, -1)
            mu = xg.mean(dim=2, keepdim=True)
            var = ((xg - mu) ** 2).mean(dim=2, keepdim=True)
            y = ((xg - mu) / torch.sqrt(var + eps)).reshape(n, c, h, w_)
            close(out, y * p["weight"].view(1, -1, 1, 1) + p["bias"].view(1, -1, 1, 1))

        cases.append(make_case(f"G={G}, {N}x{C}x{H}x{W}", {"type": "groupnorm", "groups": G, "eps": eps}, fn,
                               [x], {"weight": w, "bias": b}, check=check))
    return cases


def gen_lrn():
    seed_for("lrn")
    cases = []
    for (N, C, H, W), size, alpha, beta, k in [
        ((2, 7, 3, 4), 5, 1e-4, 0.75, 1.0),
        ((2, 6, 3, 3), 3, 0.1, 0.75, 1.0),
        ((2, 8, 2, 3), 5, 0.5, 0.75, 2.0),
    ]:
        x = rand(N, C, H, W, scale=2.0)

        def fn(i, p, size=size, alpha=alpha, beta=beta, k=k):
            return F.local_response_norm(i[0], size, alpha, beta, k)

        def check(i, p, out, size=size, alpha=alpha, beta=beta, k=k):
            x = i[0]
            c = x.shape[1]
            ref = torch.empty_like(x)
            for ch in range(c):
                lo = max(0, ch - size // 2)
                hi = min(c - 1, ch + (size - 1) // 2)
                s = (x[:, lo:hi + 1] ** 2).sum(dim=1)
                ref[:, ch] = x[:, ch] * (k + alpha / size * s) ** (-beta)
            close(out, ref)

        cases.append(make_case(f"size {size} alpha {alpha} beta {beta} k {k}, {N}x{C}x{H}x{W}",
                               {"type": "lrn", "size": size, "alpha": alpha, "beta": beta, "k": k},
                               fn, [x], check=check))
    return cases


# --------------------------------------------------------------------------- merge layers

def gen_add():
    seed_for("add")
    cases = []
    for shape, n in [((2, 3, 4, 5), 2), ((3, 2, 3, 3), 3), ((2, 4, 1, 1), 2)]:
        xs = [rand(*shape) for _ in range(n)]
        cases.append(make_case(f"{n} inputs of {'x'.join(map(str, shape))}", {"type": "add"},
                               lambda i, p: sum(i[1:], i[0]), xs))
    return cases


def gen_concat():
    seed_for("concat")
    cases = []
    for shapes in [[(2, 2, 3, 4), (2, 3, 3, 4)],
                   [(2, 1, 4, 4), (2, 3, 4, 4), (2, 2, 4, 4)],
                   [(3, 4, 1, 1), (3, 2, 1, 1)]]:
        xs = [rand(*s) for s in shapes]
        cases.append(make_case(" + ".join("x".join(map(str, s)) for s in shapes), {"type": "concat"},
                               lambda i, p: torch.cat(i, dim=1), xs))
    return cases


# --------------------------------------------------------------------------- losses

def gen_losses():
    seed_for("losses")
    cases = []

    def ce_case(name, N, C, scale):
        logits = rand(N, C, scale=scale)
        labels = torch.randint(0, C, (N,))
        z = logits.clone().requires_grad_(True)
        loss = F.cross_entropy(z, labels)
        loss.backward()
        # independent: manual log-softmax, analytic gradient (softmax - onehot)/N
        mx = logits.max(dim=1, keepdim=True).values
        lse = mx.squeeze(1) + torch.log(torch.exp(logits - mx).sum(dim=1))
        manual = (lse - logits[torch.arange(N), labels]).mean()
        close(loss.detach(), manual, 1e-12)
        sm = torch.exp(logits - lse.unsqueeze(1))
        close(z.grad, (sm - F.one_hot(labels, C).to(DT)) / N, 1e-12)
        return {"name": name, "loss": "softmax_cross_entropy", "logits_shape": [N, C],
                "logits": flat(logits), "labels": labels.tolist(),
                "loss_value": loss.item(), "grad_logits": flat(z.grad)}

    def hinge_case(name, N, C, scale):
        logits = rand(N, C, scale=scale)
        labels = torch.randint(0, C, (N,))
        z = logits.clone().requires_grad_(True)
        correct = z.gather(1, labels.view(-1, 1))
        mask = 1.0 - F.one_hot(labels, C).to(DT)
        loss = (torch.clamp(z - correct + 1.0, min=0.0) * mask).sum() / N
        loss.backward()
        # independent: torch MultiMarginLoss divides by C
        ref = F.multi_margin_loss(logits, labels, p=1, margin=1.0) * C
        close(loss.detach(), ref, 1e-12)
        # no margin exactly at the kink
        marg = logits - logits.gather(1, labels.view(-1, 1)) + 1.0
        assert (marg.abs() > 1e-6).all()
        # manual gradient
        act = ((marg > 0).to(DT) * mask)
        g = act.clone()
        g[torch.arange(N), labels] = -act.sum(dim=1)
        close(z.grad, g / N, 1e-12)
        return {"name": name, "loss": "hinge", "logits_shape": [N, C],
                "logits": flat(logits), "labels": labels.tolist(),
                "loss_value": loss.item(), "grad_logits": flat(z.grad)}

    cases.append(ce_case("cross-entropy N=4 C=5", 4, 5, 1.0))
    cases.append(ce_case("cross-entropy N=3 C=10, logits x30 (stability)", 3, 10, 30.0))
    cases.append(ce_case("cross-entropy N=5 C=3, logits x30 (stability)", 5, 3, 30.0))
    cases.append(ce_case("cross-entropy N=2 C=7", 2, 7, 2.0))
    cases.append(hinge_case("hinge N=4 C=5", 4, 5, 1.0))
    cases.append(hinge_case("hinge N=3 C=10, logits x3", 3, 10, 3.0))
    cases.append(hinge_case("hinge N=5 C=3, logits x0.3 (most margins active)", 5, 3, 0.3))
    for c in cases:
        assert all_finite(c)
    return write_json("losses.json", {"cases": cases})


# --------------------------------------------------------------------------- regularizers

def gen_regularizers():
    seed_for("regularizers")
    cases = []
    for name, kind, l1, l2, n, scale in [
        ("l2 0.01", "l2", 0.0, 0.01, 30, 1.0),
        ("l2 0.5", "l2", 0.0, 0.5, 12, 2.0),
        ("l1 0.001", "l1", 0.001, 0.0, 30, 1.0),
        ("l1 0.1", "l1", 0.1, 0.0, 12, 2.0),
        ("elastic l1 0.01 l2 0.1", "elastic", 0.01, 0.1, 30, 1.0),
    ]:
        w0 = rand(n, scale=scale)
        assert (w0 != 0).all()
        w = w0.clone().requires_grad_(True)
        pen = l1 * w.abs().sum() + l2 / 2 * (w * w).sum()
        pen.backward()
        close(w.grad, l1 * torch.sign(w0) + l2 * w0, 1e-14)
        c = {"name": name, "kind": kind, "l1": l1, "l2": l2, "weights": flat(w0),
             "penalty": pen.item(), "grad": flat(w.grad)}
        assert all_finite(c)
        cases.append(c)
    return write_json("regularizers.json", {"cases": cases})


# --------------------------------------------------------------------------- main

def main():
    paths = []
    paths.append(write_kind("conv2d", gen_conv2d()))
    paths.append(write_kind("depthwise_conv2d", gen_depthwise()))
    paths.append(write_kind("maxpool2d", pool_cases("maxpool2d")))
    paths.append(write_kind("avgpool2d", pool_cases("avgpool2d")))
    paths.append(write_kind("global_avgpool", gen_global_avgpool()))
    paths.append(write_kind("dense", gen_dense()))
    paths.append(write_kind("flatten", gen_flatten()))
    paths.append(write_kind("relu", simple_act("relu", torch.relu, lambda x: x.clamp(min=0))))
    paths.append(write_kind("sigmoid", simple_act("sigmoid", torch.sigmoid, lambda x: 1 / (1 + torch.exp(-x)))))
    paths.append(write_kind("tanh", simple_act("tanh", torch.tanh,
                                               lambda x: (torch.exp(2 * x) - 1) / (torch.exp(2 * x) + 1))))
    paths.append(write_kind("leaky_relu", gen_leaky_relu()))
    paths.append(write_kind("prelu", gen_prelu()))
    paths.append(write_kind("elu", gen_elu()))
    paths.append(write_kind("gelu", simple_act(
        "gelu", lambda x: F.gelu(x, approximate="none"),
        lambda x: 0.5 * x * (1 + torch.erf(x / math.sqrt(2))))))
    paths.append(write_kind("maxout", gen_maxout()))
    paths.append(write_kind("batchnorm", gen_batchnorm()))
    paths.append(write_kind("layernorm", gen_layernorm()))
    paths.append(write_kind("groupnorm", gen_groupnorm()))
    paths.append(write_kind("lrn", gen_lrn()))
    paths.append(write_kind("add", gen_add()))
    paths.append(write_kind("concat", gen_concat()))
    paths.append(gen_losses())
    paths.append(gen_regularizers())
    total = 0
    for p in paths:
        sz = os.path.getsize(p)
        total += sz
        print(f"{os.path.relpath(p, OUT_DIR):24s} {sz:9d} bytes")
    print(f"{'total':24s} {total:9d} bytes")


if __name__ == "__main__":
    main()
