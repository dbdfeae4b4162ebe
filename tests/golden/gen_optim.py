#!/usr/bin/env python3
"""Generate golden reference data for the CNN engine's optimizer tests (tests/train/test_optim.cpp).

What it generates (into the directory containing this script, tests/golden/):
  optim.json   {"kind": "optim", "cases": [case, ...]} where each case holds
                 name     a label
                 config   the optimizer configuration exactly as cnn::make_optimizer accepts it
                 params   [{"name", "shape", "role": "weight"|"bias", "value": flat}, ...]
                 grads    [step][param index] flat gradient fed at that step (fixed random
                          numbers, not computed from a loss, so the test needs no model)
                 after    [step][param index] flat parameter values after that step
               A tensor is written flat (row-major) next to its shape.

Conventions:
  * The reference is torch.optim (PyTorch 1.13 single-tensor code paths, foreach=False) run in
    float64 on float32-representable inputs. Each case is also run in float32 and the script
    asserts that float32 and float64 agree to well within the C++ test tolerance (the engine
    computes in float32).
  * The engine applies weight decay to params with role "weight" only. torch applies a group's
    weight_decay to every param of the group, so weights and biases go into separate param
    groups, the biases with weight_decay 0.
  * Lookahead has no torch implementation: its case wraps a torch inner optimizer and applies the
    slow-weight rule by hand (slow starts as a copy of the params; every k inner steps
    slow += alpha * (fast - slow), fast = slow).
  * Deterministic: fixed seed, single thread.

How to run (needs PyTorch; use Debian's python3-torch, i.e. the system interpreter):
    /usr/bin/python3 tests/golden/gen_optim.py
"""

import json
import math
import os

import torch

torch.set_num_threads(1)

OUT_DIR = os.path.dirname(os.path.abspath(__file__))

# The small problem: two weights and a bias, like a conv layer plus a dense layer.
PARAMS = [
    ("conv1.weight", [2, 1, 2, 2], "weight"),
    ("fc.weight", [3, 4], "weight"),
    ("fc.bias", [3], "bias"),
]


def torch_optimizer(cfg, weights, biases):
    """The torch optimizer matching one of our configurations (weight decay on weights only)."""
    t = cfg["type"]
    wd = cfg.get("weight_decay", 0.0)
    groups = [{"params": weights, "weight_decay": wd}, {"params": biases, "weight_decay": 0.0}]
    if t == "sgd":
        return torch.optim.SGD(groups, lr=cfg.get("lr", 0.01), momentum=cfg.get("momentum", 0.0),
                               nesterov=cfg.get("nesterov", False), foreach=False)
    if t == "adagrad":
        return torch.optim.Adagrad(groups, lr=cfg.get("lr", 1e-2), eps=cfg.get("eps", 1e-10),
                                   initial_accumulator_value=cfg.get("initial_accumulator", 0.0),
                                   foreach=False)
    if t == "adadelta":
        return torch.optim.Adadelta(groups, lr=cfg.get("lr", 1.0), rho=cfg.get("rho", 0.9),
                                    eps=cfg.get("eps", 1e-6), foreach=False)
    if t == "rmsprop":
        return torch.optim.RMSprop(groups, lr=cfg.get("lr", 1e-2), alpha=cfg.get("alpha", 0.99),
                                   eps=cfg.get("eps", 1e-8), momentum=cfg.get("momentum", 0.0),
                                   foreach=False)
    if t == "adam":
        return torch.optim.Adam(groups, lr=cfg.get("lr", 1e-3),
                                betas=(cfg.get("beta1", 0.9), cfg.get("beta2", 0.999)),
                                eps=cfg.get("eps", 1e-8), foreach=False)
    if t == "radam":
        return torch.optim.RAdam(groups, lr=cfg.get("lr", 1e-3),
                                 betas=(cfg.get("beta1", 0.9), cfg.get("beta2", 0.999)),
                                 eps=cfg.get("eps", 1e-8), foreach=False)
    raise ValueError(t)


def run(cfg, init, grads, dtype):
    """Runs the optimizer; returns the parameter values after every step."""
    tensors = [torch.tensor(v, dtype=dtype).reshape(shape).requires_grad_(True)
               for v, (_, shape, _) in zip(init, PARAMS)]
    weights = [p for p, (_, _, role) in zip(tensors, PARAMS) if role == "weight"]
    biases = [p for p, (_, _, role) in zip(tensors, PARAMS) if role == "bias"]
    lookahead = cfg["type"] == "lookahead"
    inner = cfg["inner"] if lookahead else cfg
    opt = torch_optimizer(inner, weights, biases)
    slow = [p.detach().clone() for p in tensors]
    out = []
    for step, gs in enumerate(grads, start=1):
        for p, g in zip(tensors, gs):
            p.grad = torch.tensor(g, dtype=dtype).reshape(p.shape)
        opt.step()
        if lookahead and step % cfg.get("k", 5) == 0:
            with torch.no_grad():
                for p, s in zip(tensors, slow):
                    s.add_(p - s, alpha=cfg.get("alpha", 0.5))
                    p.copy_(s)
        out.append([p.detach().reshape(-1).tolist() for p in tensors])
    return out


# (name, config, steps, gradient scale). Non-default learning rates make the updates large
# enough that a wrong term shows well above the float32 rounding of the parameter values.
CASES = [
    ("sgd", {"type": "sgd", "lr": 0.1}, 6, 1.0),
    ("sgd_wd", {"type": "sgd", "lr": 0.1, "weight_decay": 0.05}, 6, 1.0),
    ("sgd_momentum", {"type": "sgd", "lr": 0.05, "momentum": 0.9}, 8, 1.0),
    ("sgd_nesterov_wd", {"type": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
     8, 1.0),
    ("sgd_momentum_default_lr", {"type": "sgd", "momentum": 0.5}, 6, 1.0),
    ("adagrad", {"type": "adagrad"}, 6, 1.0),
    ("adagrad_custom_wd", {"type": "adagrad", "lr": 0.1, "eps": 1e-6, "initial_accumulator": 0.1,
                           "weight_decay": 0.1}, 8, 1.0),
    ("adadelta", {"type": "adadelta"}, 6, 1.0),
    ("adadelta_custom_wd", {"type": "adadelta", "lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1},
     8, 1.0),
    ("rmsprop", {"type": "rmsprop"}, 6, 1.0),
    ("rmsprop_momentum_wd", {"type": "rmsprop", "lr": 0.01, "alpha": 0.9, "eps": 1e-6, "momentum": 0.9,
                             "weight_decay": 0.01}, 8, 1.0),
    ("adam", {"type": "adam"}, 6, 1.0),
    ("adam_custom_wd", {"type": "adam", "lr": 0.05, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6,
                        "weight_decay": 0.02}, 8, 1.0),
    ("adam_small_grads", {"type": "adam", "lr": 0.01}, 6, 1e-3),
    # RAdam with beta2 = 0.999 keeps rho_t <= 5 for 5 steps (plain bias-corrected momentum) and
    # rectifies from step 6 on; 8 steps cover both branches.
    ("radam", {"type": "radam", "lr": 0.01}, 8, 1.0),
    ("radam_custom_wd", {"type": "radam", "lr": 0.05, "beta1": 0.85, "beta2": 0.99, "eps": 1e-6,
                         "weight_decay": 0.05}, 8, 1.0),
    # eps comparable to sqrt(v): shows where each kind adds eps (after the square root; adam to the
    # bias-corrected root, radam to the raw one).
    ("adagrad_large_eps", {"type": "adagrad", "lr": 0.1, "eps": 0.3}, 6, 1.0),
    ("rmsprop_large_eps", {"type": "rmsprop", "lr": 0.01, "eps": 0.3}, 6, 1.0),
    ("adam_large_eps", {"type": "adam", "lr": 0.1, "eps": 0.3}, 6, 1.0),
    ("radam_large_eps", {"type": "radam", "lr": 0.1, "beta2": 0.99, "eps": 0.3}, 8, 1.0),
    ("lookahead_sgd_momentum", {"type": "lookahead", "k": 3, "alpha": 0.5,
                                "inner": {"type": "sgd", "lr": 0.1, "momentum": 0.9}}, 8, 1.0),
    ("lookahead_adam_wd", {"type": "lookahead", "k": 2, "alpha": 0.3,
                           "inner": {"type": "adam", "lr": 0.05, "weight_decay": 0.01}}, 7, 1.0),
]


def f32(t):
    return t.to(torch.float32).to(torch.float64).reshape(-1).tolist()


def main():
    torch.manual_seed(20240601)
    cases = []
    for name, cfg, steps, gscale in CASES:
        init = [f32(torch.randn(shape) * 0.8) for _, shape, _ in PARAMS]
        grads = [[f32(torch.randn(shape) * gscale * (0.5 + torch.rand(()).item()))
                  for _, shape, _ in PARAMS] for _ in range(steps)]
        ref = run(cfg, init, grads, torch.float64)
        single = run(cfg, init, grads, torch.float32)
        worst = max(abs(a - b) / (1e-6 + 1e-5 * abs(a))
                    for s64, s32 in zip(ref, single) for p64, p32 in zip(s64, s32) for a, b in zip(p64, p32))
        assert worst < 0.5, (name, worst)
        for s in ref:
            assert all(math.isfinite(v) for p in s for v in p), name
        cases.append({
            "name": name,
            "config": cfg,
            "params": [{"name": n, "shape": shape, "role": role, "value": v}
                       for (n, shape, role), v in zip(PARAMS, init)],
            "grads": grads,
            "after": ref,
        })
        print(f"{name:28s} steps {steps}  float32 vs float64: {worst:.3f} of the test tolerance")
    with open(os.path.join(OUT_DIR, "optim.json"), "w") as f:
        json.dump({"kind": "optim", "torch_version": torch.__version__.split("a")[0], "cases": cases}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
