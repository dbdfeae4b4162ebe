#!/usr/bin/python3
"""Our native engine against PyTorch on the CPU, training the zoo models side by side.

    npm run bench:torch [-- --models lenet5,vgg_small --threads 1,2 --seconds 2 --rounds 3]
                        [-- --baseline DIR]   (also times DIR/cnn_bench_nets: another build, "before")

For every zoo model (web/models/*.json, listed in web/models/index.json) it builds the PyTorch twin
of the model from the same JSON, checks it layer by layer against `cnn summary` (output shape and
parameter count of every layer), then times a training step of both: batch 64, plain SGD (lr 0.01,
no momentum, no weight decay), softmax cross-entropy. Ours is build/native/cnn_bench_nets
--train-only (the engine's train_step on MNIST images); PyTorch gets random inputs and labels (the
speed of these layers does not depend on the values). Measurements are interleaved (round after
round: each model, each thread count, ours then PyTorch) and the table shows the median of the
rounds, with the load average before and after, since the machine may be shared.

It uses Debian's python3-torch (/usr/bin/python3) and installs nothing: without it, it says so and
exits with status 1. BENCH_NATIVE_DIR points it at another native build (default build/native).
Speeds are printed, never asserted.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_torch():
    try:
        import torch  # noqa: F401  (Debian's python3-torch)
    except ImportError:
        sys.stderr.write(
            "bench:torch: PyTorch is not installed for /usr/bin/python3 (Debian's python3-torch, e.g. "
            "`apt-get install python3-torch`); this benchmark installs nothing, so there is nothing to compare.\n"
        )
        sys.exit(1)
    return torch


def pair(v):
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def build_twin(torch, desc):
    """The PyTorch module of a model description: the same graph (each layer reads the previous
    one, or the layers named in 'inputs'), the same layers and sizes. Returns (module, [(name, kind)])."""
    nn = torch.nn
    shapes = {"input": tuple(desc["input"])}  # per node: (C, H, W) or (units,)
    mods, nodes, prev = nn.ModuleDict(), [], "input"
    for i, l in enumerate(desc["layers"]):
        kind, name = l["type"], l.get("name", "%s%d" % (l["type"], i))
        ins = l.get("inputs", [prev])
        s = shapes[ins[0]]
        if kind in ("conv2d", "depthwise_conv2d"):
            c = s[0]
            k, st, pd = pair(l["kernel"]), pair(l.get("stride", 1)), pair(l.get("pad", 0))
            if kind == "conv2d":
                out, groups = l["filters"], l.get("groups", 1)
            else:
                out, groups = c * l.get("multiplier", 1), c
            m = nn.Conv2d(c, out, k, stride=st, padding=pd, groups=groups, bias=l.get("bias", True))
            oh = (s[1] + 2 * pd[0] - k[0]) // st[0] + 1
            ow = (s[2] + 2 * pd[1] - k[1]) // st[1] + 1
            shape = (out, oh, ow)
        elif kind in ("maxpool2d", "avgpool2d"):
            k = pair(l["size"])
            st = pair(l.get("stride", l["size"]))
            m = (nn.MaxPool2d if kind == "maxpool2d" else nn.AvgPool2d)(k, stride=st)
            shape = (s[0], (s[1] - k[0]) // st[0] + 1, (s[2] - k[1]) // st[1] + 1)
        elif kind == "global_avgpool":
            m, shape = nn.AdaptiveAvgPool2d(1), (s[0], 1, 1)
        elif kind == "dense":
            n_in = 1
            for d in s:
                n_in *= d
            m = nn.Sequential(nn.Flatten(), nn.Linear(n_in, l["units"], bias=l.get("bias", True)))
            shape = (l["units"], 1, 1)
        elif kind == "batchnorm":
            m, shape = nn.BatchNorm2d(s[0]), s
        elif kind in ("relu", "tanh", "sigmoid"):
            m, shape = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[kind](), s
        elif kind == "leaky_relu":
            m, shape = nn.LeakyReLU(l.get("slope", 0.01)), s
        elif kind == "dropout":
            m, shape = nn.Dropout(l.get("p", 0.5)), s
        elif kind == "concat":
            m = nn.Identity()
            shape = (sum(shapes[n][0] for n in ins),) + tuple(s[1:])
        elif kind == "add":
            m, shape = nn.Identity(), s
        else:
            raise SystemExit("bench:torch: layer kind '%s' (%s) has no PyTorch twin here yet" % (kind, name))
        mods[name] = m
        nodes.append((name, kind, ins))
        shapes[name] = shape
        prev = name

    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = mods

        def forward(self, x):
            out = {"input": x}
            for name, kind, ins in nodes:
                if kind == "concat":
                    y = torch.cat([out[n] for n in ins], dim=1)
                elif kind == "add":
                    y = out[ins[0]]
                    for n in ins[1:]:
                        y = y + out[n]
                else:
                    y = self.layers[name](out[ins[0]])
                out[name] = y
            return out

    return Twin(), nodes


def summary_rows(cnn, model_path):
    """`cnn summary`'s table: {layer name: (output shape tuple, params)}."""
    text = subprocess.run([cnn, "summary", "--model", model_path], check=True, capture_output=True, text=True).stdout
    rows = {}
    for line in text.splitlines():
        m = re.match(r"^(\S+)\s+(\S+)\s+\[([\dx]+)\]\s+([\d,]+)\s+([\d,]+)$", line)
        if m:
            rows[m.group(1)] = (tuple(int(d) for d in m.group(3).split("x")), int(m.group(4).replace(",", "")))
    return rows


def check_twin(torch, twin, nodes, desc, rows, model):
    """Every layer's output shape and parameter count against `cnn summary`; exits on a mismatch."""
    x = torch.zeros((2,) + tuple(desc["input"]))
    with torch.no_grad():
        out = twin.eval()(x)
    twin.train()
    bad = []
    for name, kind, _ in nodes:
        shape = tuple(out[name].shape[1:])
        if len(shape) == 1:
            shape = shape + (1, 1)
        params = sum(p.numel() for p in twin.layers[name].parameters())
        if name not in rows:
            bad.append("%s: not in cnn summary" % name)
        elif rows[name] != (shape, params):
            bad.append("%s (%s): cnn %s, %d params; PyTorch %s, %d params" % (name, kind, rows[name][0], rows[name][1], shape, params))
    if bad:
        raise SystemExit("bench:torch: %s: the PyTorch twin differs from cnn summary:\n  %s" % (model, "\n  ".join(bad)))
    return sum(p.numel() for p in twin.parameters())


def torch_rate(torch, twin, desc, last, batch, threads, seconds):
    """PyTorch training images per second: zero_grad, forward, cross-entropy, backward, SGD step."""
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(1)
    x = torch.rand((batch,) + tuple(desc["input"]), generator=g)
    y = torch.randint(0, 10, (batch,), generator=g)
    opt = torch.optim.SGD(twin.parameters(), lr=0.01, momentum=0.0, weight_decay=0.0)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=False)
        loss = loss_fn(twin(x)[last].flatten(1), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(3):
        step()
    steps, t0 = 0, time.perf_counter()
    while True:
        step()
        steps += 1
        t = time.perf_counter()
        if t - t0 >= seconds:
            return steps * batch / (t - t0)


def ours_rate(bench_nets, model_path, batch, threads, seconds):
    # (A build older than --train-only ignores it and also times inference and latency afterwards.)
    r = subprocess.run(
        [bench_nets, "--model", model_path, "--batches", str(batch), "--threads", str(threads), "--seconds", str(seconds), "--train-only"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise SystemExit("bench:torch: cnn_bench_nets failed on %s: %s" % (model_path, r.stderr.strip()))
    row = json.loads(r.stdout.strip().splitlines()[-1])
    return row["train_img_s"], row.get("simd", "?")


def load_average():
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "n/a"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", help="comma-separated zoo names (default: every zoo model)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved repetitions; the table shows medians")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--baseline", help="a native build folder to time as well (e.g. the main branch's), shown as 'base'")
    args = ap.parse_args()

    torch = load_torch()
    native = os.path.join(ROOT, os.environ.get("BENCH_NATIVE_DIR", "build/native"))
    cnn, bench_nets = os.path.join(native, "cnn"), os.path.join(native, "cnn_bench_nets")
    for exe in (cnn, bench_nets):
        if not os.access(exe, os.X_OK):
            raise SystemExit("bench:torch: %s is missing (npm run build, or BENCH_NATIVE_DIR)" % exe)
    zoo = [m["name"] for m in json.load(open(os.path.join(ROOT, "web/models/index.json")))["zoo"]]
    models = args.models.split(",") if args.models else zoo
    threads = [int(t) for t in args.threads.split(",")]

    twins = {}
    for name in models:
        path = os.path.join(ROOT, "web/models", name + ".json")
        desc = json.load(open(path))
        torch.manual_seed(1)
        twin, nodes = build_twin(torch, desc)
        n = check_twin(torch, twin, nodes, desc, summary_rows(cnn, path), name)
        twins[name] = (path, desc, twin, nodes[-1][0], n)

    version = subprocess.run([cnn, "--version"], capture_output=True, text=True).stdout.strip()
    print("bench:torch: training, batch %d, plain SGD; %s rounds of %.1f s, interleaved; medians" % (args.batch, args.rounds, args.seconds))
    print("  ours:    %s" % (version or cnn))
    config = torch.__config__.show()
    cap = re.search(r"CPU capability usage: (\S+)", config)
    blas = re.search(r"BLAS_INFO=([^,\s]+)", config)
    print(
        "  PyTorch: %s (CPU capability %s, BLAS %s, oneDNN %s)"
        % (torch.__version__, cap.group(1) if cap else "?", blas.group(1) if blas else "?", "on" if torch.backends.mkldnn.is_available() else "off")
    )
    print("  every twin matches cnn summary (shapes and parameter counts of every layer)")
    print("  load average before: %s" % load_average())
    sys.stdout.flush()

    base_nets = None
    if args.baseline:
        base_nets = os.path.join(os.path.abspath(args.baseline), "cnn_bench_nets")
        if not os.access(base_nets, os.X_OK):
            raise SystemExit("bench:torch: %s is missing" % base_nets)
        print("  base:    %s" % base_nets)
    ours, theirs, base, simd = {}, {}, {}, "?"
    for r in range(args.rounds):
        for name in models:
            path, desc, twin, last, _ = twins[name]
            for t in threads:
                if base_nets:
                    base.setdefault((name, t), []).append(ours_rate(base_nets, path, args.batch, t, args.seconds)[0])
                o, simd = ours_rate(bench_nets, path, args.batch, t, args.seconds)
                p = torch_rate(torch, twin, desc, last, args.batch, t, args.seconds)
                ours.setdefault((name, t), []).append(o)
                theirs.setdefault((name, t), []).append(p)
                sys.stderr.write(
                    "  round %d %-16s %dt: %sours %8.0f img/s, PyTorch %8.0f img/s\n"
                    % (r + 1, name, t, "base %8.0f, " % base[(name, t)][-1] if base_nets else "", o, p)
                )
    print("  load average after:  %s" % load_average())
    print("  ours ran the %s kernels\n" % simd)

    head = "%-16s %10s" % ("model", "params")
    for t in threads:
        if base_nets:
            head += " | %8s" % ("base %dt" % t)
        head += " | %8s %8s %6s" % ("ours %dt" % t, "torch %dt" % t, "ratio")
    print(head)
    print("-" * len(head))
    for name in models:
        line = "%-16s %10s" % (name, "{:,}".format(twins[name][4]))
        for t in threads:
            o, p = statistics.median(ours[(name, t)]), statistics.median(theirs[(name, t)])
            if base_nets:
                line += " | %8.0f" % statistics.median(base[(name, t)])
            line += " | %8.0f %8.0f %5.2fx" % (o, p, o / p)
        print(line)
    print("training images/s, medians; ratio = ours / PyTorch" + ("; base = %s" % args.baseline if base_nets else ""))


if __name__ == "__main__":
    main()
