#!/usr/bin/env bash
# Regenerates the committed seed corpora in fuzz/corpus/<target>/ (run it after a format change;
# scripts/fuzz.sh only reads them). Needs the native command-line program (build/native/cnn, or
# CNN_BIN=...) for the .cnn seeds and /usr/bin/python3 with NumPy for one .npy written by NumPy itself.
#   fuzz_model_json  zoo descriptions (web/models) and two tiny ones with every layer kind, plus cuts
#   fuzz_cnn_file    a model and a checkpoint written by `cnn train` on 8 images 1x8x8 (the data set
#                    fuzz_cnn_file.cpp builds), with batch norm and Adam state, plus cuts
#   fuzz_idx         labels, 3-D and 4-D images, a zero-size array, plus cuts
#   fuzz_npy         what encode_npy and NumPy write (versions 1.0-3.0), plus cuts
set -euo pipefail
cd "$(dirname "$0")/.."
cnn=${CNN_BIN:-build/native/cnn}
out=fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$out"
mkdir -p "$out"/{fuzz_model_json,fuzz_cnn_file,fuzz_idx,fuzz_npy}

# --- model descriptions ---
for m in lenet5 convnetjs resnet_small inception_small mobilenet_small; do cp "web/models/$m.json" "$out/fuzz_model_json/$m.json"; done
cat >"$out/fuzz_model_json/tiny_chain.json" <<'JSON'
{"name": "tiny_chain", "input": [2, 8, 8], "init": {"scheme": "normal", "std": 0.1}, "seed": 3, "layers": [
 {"type": "conv2d", "name": "c1", "filters": 4, "kernel": 3, "pad": 1, "stride": 1},
 {"type": "batchnorm"}, {"type": "prelu"}, {"type": "maxpool2d", "size": 2, "stride": 2},
 {"type": "depthwise_conv2d", "kernel": 3, "pad": 1, "multiplier": 2}, {"type": "groupnorm", "groups": 2, "eps": 1e-05},
 {"type": "elu", "alpha": 0.5}, {"type": "lrn", "size": 3, "alpha": 0.0001, "beta": 0.75, "k": 1.0},
 {"type": "avgpool2d", "size": 2}, {"type": "maxout", "k": 2}, {"type": "layernorm"}, {"type": "flatten"},
 {"type": "dropout", "p": 0.5}, {"type": "dense", "units": 6}, {"type": "gelu"}, {"type": "dense", "units": 3}]}
JSON
cat >"$out/fuzz_model_json/tiny_graph.json" <<'JSON'
{"name": "tiny_graph", "input": [1, 6, 6], "init": "xavier", "layers": [
 {"type": "conv2d", "name": "a", "filters": 2, "kernel": 1, "bias": false},
 {"type": "conv2d", "name": "b", "filters": 2, "kernel": 3, "pad": 1, "groups": 1, "inputs": ["input"]},
 {"type": "add", "name": "s", "inputs": ["a", "b"]}, {"type": "sigmoid", "name": "g"},
 {"type": "tanh", "name": "t", "inputs": ["s"]}, {"type": "concat", "name": "cat", "inputs": ["g", "t"]},
 {"type": "leaky_relu", "slope": 0.2}, {"type": "relu"}, {"type": "global_avgpool"}, {"type": "dense", "units": 2}]}
JSON
head -c 300 web/models/lenet5.json >"$out/fuzz_model_json/cut_lenet5.json"
head -c 200 "$out/fuzz_model_json/tiny_graph.json" >"$out/fuzz_model_json/cut_tiny_graph.json"

# --- IDX and .npy, and the 8-image data set of the .cnn seeds ---
/usr/bin/python3 - "$out" "$tmp" <<'PY'
import os, struct, sys
out, tmp = sys.argv[1], sys.argv[2]
def idx(dims, data):
    return bytes([0, 0, 8, len(dims)]) + b''.join(struct.pack('>I', d) for d in dims) + bytes(data)
def w(path, b):
    with open(path, 'wb') as f: f.write(b)
I = os.path.join(out, 'fuzz_idx')
w(f'{I}/labels.idx1', idx([10], [i % 10 for i in range(10)]))
w(f'{I}/images.idx3', idx([3, 4, 5], [(i * 37) % 256 for i in range(60)]))
w(f'{I}/images.idx4', idx([2, 2, 3, 3], range(36)))
w(f'{I}/empty.idx', idx([0, 28, 28], []))
w(f'{I}/cut_header.idx', idx([3, 4, 5], range(60))[:9])
w(f'{I}/cut_data.idx', idx([3, 4, 5], range(60))[:40])
# the .cnn seeds' data: 8 images 1x8x8, labels 0,1,2,0,... (fuzz_cnn_file.cpp builds the same shape)
w(f'{tmp}/images.idx', idx([8, 8, 8], [(i * 37) % 256 for i in range(512)]))
w(f'{tmp}/labels.idx', idx([8], [i % 3 for i in range(8)]))

def npy(shape, values, major=1, header=None):
    if header is None:
        dims = ', '.join(str(d) for d in shape) + (',' if len(shape) == 1 else '')
        header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % dims
    pre = 10 if major == 1 else 12
    header += ' ' * ((64 - (pre + len(header) + 1) % 64) % 64) + '\n'
    ln = struct.pack('<H' if major == 1 else '<I', len(header))
    return b'\x93NUMPY' + bytes([major, 0]) + ln + header.encode('latin1') + struct.pack('<%df' % len(values), *values)
N = os.path.join(out, 'fuzz_npy')
w(f'{N}/v1_2x3.npy', npy([2, 3], [0.5 * i - 1 for i in range(6)]))
w(f'{N}/v2_4.npy', npy([4], [1, 2, 3, 4], 2))
w(f'{N}/v3_1x1x2x2.npy', npy([1, 1, 2, 2], [0, -1, 1e-30, 3e38], 3))
w(f'{N}/scalar.npy', npy([], [7.0]))
w(f'{N}/zero.npy', npy([0, 5], []))
w(f'{N}/keys_reordered.npy', npy([2], [1, 2], header='{"shape": (2,), "fortran_order": False, "descr": "<f4"}'))
w(f'{N}/fractional.npy', npy([2], [1, 2], header="{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,), }"))
full = npy([3, 2], range(6))
w(f'{N}/cut_header.npy', full[:40])
w(f'{N}/cut_data.npy', full[:-3])
try:
    import numpy as np
    np.save(f'{N}/numpy_3x2.npy', np.arange(6, dtype=np.float32).reshape(3, 2))
except ImportError:
    print('make_seeds: no NumPy; skipped numpy_3x2.npy', file=sys.stderr)
PY

# --- .cnn: a model and a checkpoint written by the command line ---
cat >"$tmp/tiny.json" <<'JSON'
{"name": "tiny", "input": [1, 8, 8], "seed": 2, "layers": [
 {"type": "conv2d", "name": "c", "filters": 2, "kernel": 3, "pad": 1}, {"type": "batchnorm", "name": "bn"},
 {"type": "relu"}, {"type": "maxpool2d", "size": 2}, {"type": "dense", "name": "out", "units": 3}]}
JSON
"$cnn" train --model "$tmp/tiny.json" --images "$tmp/images.idx" --labels "$tmp/labels.idx" --epochs 2 --batch 4 \
  --validation 0 --optimizer adam --augment digits --out "$out/fuzz_cnn_file/model.cnn" \
  --checkpoint "$out/fuzz_cnn_file/checkpoint.cnn" --threads 1 >"$tmp/train.log" 2>&1 ||
  { cat "$tmp/train.log"; exit 1; }
"$cnn" train --model "$tmp/tiny.json" --images "$tmp/images.idx" --labels "$tmp/labels.idx" --epochs 1 --batch 4 \
  --validation 2 --optimizer sgd --momentum 0.9 --schedule step --preprocess '{"mean": "pixel"}' \
  --out "$out/fuzz_cnn_file/model_pixel_mean.cnn" --checkpoint "$out/fuzz_cnn_file/checkpoint_sgd.cnn" \
  --threads 1 >"$tmp/train.log" 2>&1 || { cat "$tmp/train.log"; exit 1; }
# The last checkpoint is at the end of the run; the same with a third epoch in its configuration is a
# checkpoint at the end of an epoch with work left, so that restore is followed by training steps.
/usr/bin/python3 - "$out/fuzz_cnn_file" <<'PY'
import json, struct, sys
d = sys.argv[1]
b = open(f'{d}/checkpoint.cnn', 'rb').read()
hlen = struct.unpack('<I', b[12:16])[0]
h = json.loads(b[16:16 + hlen])
h['training']['config']['epochs'] = 3
text = json.dumps(h, separators=(',', ':')).encode()
open(f'{d}/checkpoint_mid_run.cnn', 'wb').write(b[:12] + struct.pack('<I', len(text)) + text + b[16 + hlen:])
# Unframed copies ("<header>\0<blob>", see fuzz_cnn_file.cpp): mutations may change the header's length.
for name in ['checkpoint_mid_run', 'model_pixel_mean']:
    b = open(f'{d}/{name}.cnn', 'rb').read()
    hlen = struct.unpack('<I', b[12:16])[0]
    open(f'{d}/{name}.unframed', 'wb').write(b[16:16 + hlen] + b'\0' + b[16 + hlen:])
PY
head -c 100 "$out/fuzz_cnn_file/model.cnn" >"$out/fuzz_cnn_file/cut_header.cnn"
head -c $(($(wc -c <"$out/fuzz_cnn_file/checkpoint.cnn") - 10)) "$out/fuzz_cnn_file/checkpoint.cnn" \
  >"$out/fuzz_cnn_file/cut_blob.cnn"
for t in "$out"/*; do echo "$(basename "$t"): $(ls "$t" | wc -l) seeds, $(du -sk "$t" | cut -f1) kB"; done
