// The worker's message protocol, declared once. Loaded by the worker (importScripts) and by the
// page (as a classic script before app.js), it defines self.CnnProtocol.
//
// Every request is {id, type, ...payload}; every reply is {id, ok: true, result} or
// {id, ok: false, error: "<message>"}. Large arrays (Float32Array, Int32Array) cross as transferables.
//
//   init         {}                                  -> {variant: "st"|"mt", buildInfo}
//   createModel  {json: "<model description>"}       -> {summary}          (replaces the current model)
//   forward      {input: Float32Array, batch}        -> {output: Float32Array}
//   trainStep    {input, labels: Int32Array, batch, opts: {lr, loss, l1, l2}} -> {loss}
//   activation   {name}                              -> {shape, data: Float32Array}
//   getParam     {name}                              -> {data: Float32Array}
//   setParam     {name, data: Float32Array}          -> {}
(function (root) {
  root.CnnProtocol = Object.freeze({
    types: Object.freeze(['init', 'createModel', 'forward', 'trainStep', 'activation', 'getParam', 'setParam']),
    // The typed arrays of a message, to pass as its transfer list.
    transferables(msg) {
      const out = [];
      for (const v of Object.values(msg || {})) if (ArrayBuffer.isView(v)) out.push(v.buffer);
      return out;
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
