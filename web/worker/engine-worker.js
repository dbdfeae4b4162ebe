// The engine's Web Worker: loads the wasm module and answers the messages of protocol.js.
// Cross-origin-isolated pages get the pthreads build; others the single-threaded one.
/* global CnnProtocol, createCnnEngine */
'use strict';
importScripts('protocol.js');

const variant = self.crossOriginIsolated ? 'mt' : 'st';
const engineBase = new URL('../engine/', self.location.href).href;
const engineUrl = `${engineBase}cnn_engine_${variant}.js`;
let engine = null;
let model = null;

function simdSupported() {
  // A module with one v128 instruction: compiles only where WebAssembly SIMD is supported.
  const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0,
    65, 0, 253, 15, 253, 98, 11]);
  return WebAssembly.validate(bytes);
}

async function load() {
  if (engine) return engine;
  if (!simdSupported()) throw new Error('This browser does not support WebAssembly SIMD, which the engine needs. Use a current Chrome, Edge, Firefox or Safari.');
  importScripts(engineUrl);
  engine = await createCnnEngine({
    locateFile: (f) => engineBase + f,
    mainScriptUrlOrBlob: engineUrl, // pthreads started from inside a worker (TOOLCHAIN quirk 5)
  });
  return engine;
}

function needModel() {
  if (!model) throw new Error('no model loaded: send createModel first');
  return model;
}

const handlers = {
  async init() {
    const e = await load();
    return { variant, buildInfo: JSON.parse(e.buildInfo()) };
  },
  async createModel({ json }) {
    const e = await load();
    const m = new e.Model(typeof json === 'string' ? json : JSON.stringify(json));
    if (model) model.delete();
    model = m;
    return { summary: JSON.parse(model.summary()) };
  },
  forward({ input, batch, training }) {
    return { output: needModel().forward(input, batch, !!training) };
  },
  trainStep({ input, labels, batch, opts }) {
    return { loss: needModel().trainStep(input, labels, batch, opts || {}) };
  },
  activation({ name }) {
    return needModel().activation(name);
  },
  getParam({ name }) {
    return { data: needModel().getParam(name) };
  },
  setParam({ name, data }) {
    needModel().setParam(name, data);
    return {};
  },
};

self.onmessage = async (ev) => {
  const { id, type, ...payload } = ev.data || {};
  try {
    const h = handlers[type];
    if (!h) throw new Error(`unknown message type '${type}'`);
    const result = await h(payload);
    self.postMessage({ id, ok: true, result }, CnnProtocol.transferables(result));
  } catch (e) {
    self.postMessage({ id, ok: false, error: e && e.message ? e.message : String(e) });
  }
};
