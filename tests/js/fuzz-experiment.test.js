// Fuzzing the shared-experiment parser (web/lib/experiment.js: decode, fromHash, validate,
// checkHyper) under Node: a bounded mutation loop (CNN_FUZZ_JS_SECONDS, default 10 s; seeded by
// CNN_FUZZ_SEED, printed, so a failure can be replayed) over valid experiments, mutated as objects
// (values replaced by hostile JSON: deep nesting, huge numbers, prototype keys, long texts), as JSON
// text and as base64url text. Every input must either decode to a valid experiment (validate() gives
// it back unchanged and encode/decode round-trips it) or throw an ExperimentError with a short plain
// message: never a TypeError or RangeError from inside, never a call that takes over a second.
// Plus the regressions the loop found.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { pathToFileURL } = require('url');

const root = path.join(__dirname, '..', '..');
let X;
test.before(async () => {
  // An ES module of the page; this package is CommonJS: imported from a copy named .mjs.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cnn-fuzz-exp-'));
  const copy = path.join(dir, 'experiment.mjs');
  fs.copyFileSync(path.join(root, 'web', 'lib', 'experiment.js'), copy);
  X = await import(pathToFileURL(copy).href);
});

const b64 = (text) => Buffer.from(text).toString('base64url');
const deep = (n, inner = '') => '['.repeat(n) + inner + ']'.repeat(n);

// Runs f(); returns its value, or the ExperimentError it threw. Anything else fails the test,
// naming the input.
function clean(label, input, f) {
  const t0 = Date.now();
  let out;
  try {
    out = f();
  } catch (e) {
    if (!(e instanceof X.ExperimentError)) {
      assert.fail(
        `${label}: ${e && e.constructor && e.constructor.name} escaped (${e && e.message}) for input ${JSON.stringify(String(input).slice(0, 300))}`,
      );
    }
    assert.ok(
      typeof e.message === 'string' && e.message.length > 0 && e.message.length <= 400,
      `${label}: message ${JSON.stringify(e.message)}`,
    );
    out = e;
  }
  const ms = Date.now() - t0;
  assert.ok(ms < 1000, `${label}: took ${ms} ms for input ${JSON.stringify(String(input).slice(0, 300))}`);
  return out;
}

// An accepted experiment is valid: validate() keeps it and it survives encode/decode.
function checkAccepted(exp, input) {
  const again = clean('validate(accepted)', input, () => X.validate(exp));
  assert.ok(!(again instanceof Error), `an accepted experiment does not validate: ${again && again.message}`);
  assert.deepEqual(again, exp);
  // (As JSON text: a -0 inside a model description is written as 0.)
  assert.equal(JSON.stringify(X.decode(X.encode(exp))), JSON.stringify(exp));
}

test('regressions: deep nesting and prototype keys are refused with a plain message', () => {
  const cases = [
    // RangeError (Maximum call stack size exceeded) from JSON.stringify in quote() or checkModel.
    [`{"v":${deep(5000)}}`, /format version is '\[\[\[\[\.\.\.\]\]\]\]'/],
    [`{"v":1,"mode":${deep(5000)}}`, /mode must be one of/],
    [`{"v":1,"data":${deep(5000)}}`, /data must be/],
    [`{"v":1,"lr":${deep(5000)}}`, /learning rate must be a number/],
    [`{"v":1,"model":${deep(5000)}}`, /model must be/],
    [`{"v":1,"model":{"input":[1,28,28],"layers":${deep(5000)}}}`, /nested too deeply/],
    [`{"v":1,"model":{"input":[1,28,28],"layers":[{"type":"relu","x":${deep(5000)}}]}}`, /nested too deeply/],
    [`{"v":1,"model":{"input":${deep(5000)},"layers":[{"type":"relu"}]}}`, /nested too deeply/],
    // A layer setting named __proto__ was accepted (it would set the prototype of Object.assign's copy).
    ['{"v":1,"model":{"input":[1,28,28],"layers":[{"type":"relu","__proto__":{"x":1}}]}}', /odd name '__proto__'/],
    ['{"v":1,"model":{"input":[1,28,28],"layers":[{"type":"relu","x":{"__proto__":1}}]}}', /the value of 'x' is not/],
  ];
  for (const [text, re] of cases) {
    const e = clean('decode', text, () => X.decode(b64(text)));
    assert.ok(e instanceof X.ExperimentError, `accepted: ${text.slice(0, 80)}`);
    assert.match(e.message, re);
  }
  // quote() writes any value shortly.
  assert.equal(X.quote(JSON.parse(deep(10000))), "'[[[[...]]]]'");
  assert.equal(X.quote({ a: [1, 2], b: 'x' }), '\'{"a":[1,2],"b":"x"}\'');
  assert.equal(X.quote(10n), "'10'");
});

// --- the mutation loop -------------------------------------------------------------------------
const { mulberry32: rng } = require('../../scripts/lib/mulberry32.js');

test('fuzz: decode, fromHash, validate and checkHyper refuse cleanly or accept valid experiments', () => {
  const seconds = Number(process.env.CNN_FUZZ_JS_SECONDS || 10);
  const seed = Number(process.env.CNN_FUZZ_SEED || Date.now() % 2 ** 31);
  const r = rng(seed);
  const pick = (a) => a[Math.floor(r() * a.length)];
  const int = (n) => Math.floor(r() * n);
  const models = ['lenet5', 'resnet_small', 'inception_small'].map((m) =>
    JSON.parse(fs.readFileSync(path.join(root, 'web', 'models', `${m}.json`), 'utf8')),
  );
  const seeds = [
    { v: 1 },
    { ...X.DEFAULTS },
    {
      v: 1,
      mode: 'train',
      model: 'lenet5',
      optimizer: 'sgd',
      lr: 0.1,
      batch: 32,
      epochs: 3,
      iterations: 50,
      augment: 'strong',
      l2: 1e-4,
    },
    ...models.map((model) => ({ v: 1, mode: 'network', model })),
    {
      v: 1,
      model: {
        input: [1, 8, 8],
        init: { scheme: 'normal', std: 0.1 },
        seed: 7,
        layers: [
          { type: 'conv2d', filters: 2, kernel: [3, 3], x: { a: 1 } },
          { type: 'dense', units: 2 },
        ],
      },
    },
  ];
  const hostile = () =>
    pick([
      null,
      true,
      false,
      0,
      -0,
      1,
      -1,
      0.5,
      1e308,
      -1e308,
      5e-324,
      2 ** 53,
      2 ** 31,
      2 ** 32,
      4096,
      4097,
      1e9,
      '',
      ' ',
      '0',
      '1e3',
      '0x10',
      'NaN',
      'Infinity',
      '-1',
      ' 2 ',
      '1.5',
      'adam',
      'pretrained',
      'lenet5',
      'x'.repeat(int(3000)),
      '<script>',
      '__proto__',
      'constructor',
      '\u0000',
      '\ud800',
      [],
      {},
      [1, 2, 3],
      [1, 28, 28],
      [[[]]],
      { type: 'relu' },
      JSON.parse(deep(1 + int(3000))),
      JSON.parse(`{"__proto__":{"polluted":1}}`),
      { constructor: { prototype: 1 } },
      Array.from({ length: int(400) }, () => ({ type: 'relu' })),
    ]);
  const keys = [
    'v',
    'mode',
    'model',
    'data',
    ...X.HYPER_KEYS,
    'name',
    'description',
    'input',
    'init',
    'seed',
    'layers',
    'type',
    'filters',
    'kernel',
    'inputs',
    'scheme',
    'std',
    '__proto__',
    'constructor',
    'toString',
    'hasOwnProperty',
    'x',
  ];
  // Mutates a parsed-JSON value in place a few times (returns the possibly new root).
  function mutate(v) {
    let rootValue = v;
    for (let m = 1 + int(3); m > 0; m--) {
      // A random container of the value and a key of it.
      const path = [];
      let x = rootValue;
      while (x !== null && typeof x === 'object' && r() < 0.7) {
        const ks = Object.keys(x);
        if (!ks.length) break;
        const k = pick(ks);
        path.push([x, k]);
        x = x[k];
      }
      if (!path.length) {
        if (r() < 0.2) rootValue = hostile();
        else if (rootValue !== null && typeof rootValue === 'object' && !Array.isArray(rootValue))
          rootValue[pick(keys)] = hostile();
        continue;
      }
      const [parent, k] = path[path.length - 1];
      const op = int(4);
      if (op === 0) parent[k] = hostile();
      else if (op === 1) {
        if (Array.isArray(parent)) parent.splice(Number(k), 1);
        else delete parent[k];
      } else if (op === 2 && !Array.isArray(parent))
        Object.defineProperty(parent, pick(keys), {
          value: hostile(),
          enumerable: true,
          configurable: true,
          writable: true,
        });
      else if (Array.isArray(parent)) {
        // The mutator's own copy of a value it has nested very deep may exceed the stack: skip it.
        try {
          parent.push(structuredClone(parent[k]));
        } catch (e) {
          if (!(e instanceof RangeError)) throw e;
        }
      }
    }
    return rootValue;
  }
  function mutateText(s, alphabet) {
    for (let m = 1 + int(4); m > 0; m--) {
      const i = int(s.length + 1);
      const op = int(5);
      if (op === 0) s = s.slice(0, i) + s.slice(i + 1 + int(8));
      else if (op === 1) s = s.slice(0, i) + pick(alphabet) + s.slice(i);
      else if (op === 2) s = s.slice(0, i) + pick(alphabet) + s.slice(i + 1);
      else if (op === 3) s = s.slice(0, i);
      else s = s.slice(0, i) + s.slice(int(s.length), int(s.length) + int(40)) + s.slice(i);
    }
    return s;
  }
  const jsonChars = [
    ...'{}[]:,"0123456789.eE+-truefalsnl \\',
    '"v"',
    '"model"',
    '"layers"',
    '"__proto__"',
    '[[[[',
    ']]]]',
    '1e400',
    '-0',
  ];
  const b64Chars = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', '+', '/', '=', '%', ' '];

  const deadline = Date.now() + seconds * 1000;
  const counts = { runs: 0, accepted: 0 };
  while (Date.now() < deadline) {
    for (let batch = 0; batch < 20; batch++) {
      const base = structuredClone(pick(seeds));
      const kind = int(4);
      let text;
      if (kind === 0) {
        // Object mutations: straight into validate(), and through a link.
        const obj = mutate(base);
        const v = clean('validate', preview(obj), () => X.validate(obj));
        if (!(v instanceof Error)) {
          counts.accepted++;
          checkAccepted(v, 'validate');
        }
        let json;
        try {
          json = JSON.stringify(obj);
        } catch (e) {
          continue; // too deep for JSON.stringify itself: such a link is written by hand (kind 1 does)
        }
        if (json === undefined) continue;
        text = b64(json);
      } else if (kind === 1) {
        text = b64(mutateText(JSON.stringify(base), jsonChars));
      } else if (kind === 2) {
        text = mutateText(b64(JSON.stringify(base)), b64Chars);
      } else {
        // Hash fragments, and hyperparameters as attribute or form text.
        const hash =
          pick(['', '#', '#exp=', '#a=1&exp=', '#exp=&exp=']) + mutateText(b64(JSON.stringify(base)), b64Chars);
        const h = clean('fromHash', hash, () => X.fromHash(hash));
        if (h && !(h instanceof Error)) {
          counts.accepted++;
          checkAccepted(h, hash);
        }
        const key = pick([...X.HYPER_KEYS, 'x', '__proto__', 'toString']);
        const value = pick([
          mutateText(String(pick([0.002, 64, 'adam', 'cosine', '1e-3', ' 5 '])), jsonChars),
          hostile(),
        ]);
        clean('checkHyper', `${key}=${String(preview(value))}`, () =>
          X.checkHyper(key, value, typeof value === 'string'),
        );
        counts.runs++;
        continue;
      }
      counts.runs++;
      const out = clean('decode', text, () => X.decode(text));
      if (!(out instanceof Error)) {
        counts.accepted++;
        checkAccepted(out, text);
      }
    }
  }
  console.log(`fuzz-experiment: seed ${seed}, ${counts.runs} inputs in ${seconds} s, ${counts.accepted} accepted`);
  assert.ok(counts.runs > 100, 'the loop ran');
  assert.ok(counts.accepted > 0, 'some mutants are valid experiments');
});

// Short text of any value for failure messages (JSON.stringify overflows on deep values).
function preview(v) {
  try {
    return JSON.stringify(v)?.slice(0, 300) ?? String(v);
  } catch (e) {
    return '<too deep to write>';
  }
}
