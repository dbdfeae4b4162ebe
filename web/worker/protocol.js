// The worker's message protocol, declared once. Loaded by the worker (importScripts) and by the
// page (as a classic script), it defines self.CnnProtocol.
//
// Requests are {id, type, ...payload}; replies are {id, ok: true, result} or
// {id, ok: false, error: "<message in plain words>"}. Events (no id) are {event, ...data}.
// Large arrays (typed arrays) cross as transferables, in both directions.
//
// Model slots (optional): every model request (loadModel, unloadModel, saveModel, modelInfo, classify,
// activations, weights, train, pause, resume, stop, evaluate) may carry `slot: "<id>"`. Each slot holds
// its own model, so several embedded widgets share one worker; without a slot the default slot is
// used (the app). Data is shared by all slots; one training runs at a time, and its events carry the
// slot of the model being trained (no slot field for the default slot). With a slot, pause, resume
// and stop act only on that slot's training.
//
// Engine and model
//   init          {}                                    -> {variant: "st"|"mt", simd, threads, buildInfo}
//   ping          {}                                    -> {}  (the page's watchdog: a worker that does not
//                                                              answer for a minute is replaced)
//   stats         {}                                    -> {wasmHeapBytes, mallocBytes (the engine's allocated
//                                                           bytes), jsHeapBytes|null, models, training}
//   crashForTest  {how: "trap"|"error"}                 fails as a trapping engine ("fatal" event) or with an
//                                                          uncaught error (an 'error' event on the Worker); tests only
//   loadModel     {json} | {bytes: Uint8Array} | {url}  -> model info (below); replaces the slot's model
//   unloadModel   {slot}                                -> {unloaded: bool}  (frees a slot's model)
//   saveModel     {}                                    -> {bytes: Uint8Array}  (a .cnn model file)
//   modelInfo     {}                                    -> model info
//   exportOnnx    {foldBatchnorm?: bool}                -> {bytes: Uint8Array}  (an ONNX file of the slot's model:
//                                                          raw [0,1] pixels in, preprocessing in the graph, "logits" out)
//   inspectModel  {json}                                -> {ok: true, layers: [{name, type, shape, params, macs, note?}],
//                                                          total_params, total_macs} | {ok: false, error, layer: index|null}
//                                                          (builds a description and returns its summary, or the
//                                                          engine's message and the layer it names; no model changes)
//   classify      {input: Float32Array}                 -> {probs: Float32Array}  (input: pixels in [0,1]; an
//                                                          empty, non-finite or wrong-length input is an error)
//   activations   {input: Float32Array, params?: [layer]} -> {layers: [{name, type, shape, data: Float32Array}], probs,
//                                                           params?: {layer: [{name, shape, data}]}} (the weights
//                                                           that computed these activations, even while training)
//   weights       {layer}                               -> {params: [{name, shape, data: Float32Array}]}
//   judge         {input: Float32Array}                 -> {probs: Float32Array, distance: number|null,
//                                                          calibration: {T, limit}|null}  (classify, plus what the
//                                                          verdict needs: web/lib/verdict.js)
//   calibrate     {validation?, seed?}                  -> {T, before, after: reliability, nllBefore, nllAfter,
//                                                          fitCount, heldCount, source, layer, limit, slices,
//                                                          pausedMs (between the slices)}: temperature
//                                                          and features' reference fitted on the run's validation
//                                                          split (or test images 5,000–9,999), reliability measured
//                                                          on test images 0–4,999 (lib/verdict.js calibrate); in
//                                                          slices of ~30 ms, other requests answered in between; an
//                                                          error if the slot's model changes, trains or is unloaded;
//                                                          layer: the layers the distance compares, e.g. "gap and
//                                                          pool2 (channel means)"; limit: in units of the held-out
//                                                          digits' 99th percentile at each layer
// Data
//   loadData      {source: "mnist", base, parts: ["train", "test"]}
//               | {source: "idx", trainImages, trainLabels, testImages?, testLabels?}  (Uint8Array, gzip or raw)
//               | {source: "images", files: [{file: File|Blob, label: "<class name>", test: bool}]}
//                 -> {train?: {n, c, h, w, numClasses}, test?: {...}, classNames?}
//   testImages    {start, count} | {indices: [...]}     -> {pixels: Uint8Array, labels: Uint8Array, shape: [c,h,w]}
// Training (one at a time; the worker stays responsive: it trains in slices of ~100 ms)
//   train         {config, resume?: Uint8Array}         -> {started: true, iteration, epoch}  (where it starts)
//   pause | resume | stop  {}                           -> {state: "running"|"paused"|"stopped"|"idle"}
//   evaluate      {}                                    -> evaluation of the test set (below)
// The Lab (web/lib/lab/: one experiment at a time, in slices; it uses models of its own, no slot)
//   runLab        {lab: id, settings, input?}           -> {lab, settings, claims: [{id, text, value, holds}], ...data}
//                                                          (input: the experiment's data from the page, e.g. drawings)
//                                                          (settings resolved with the experiment's defaults)
//   stopLab       {}                                    -> {stopped: bool}  (the running experiment ends with
//                                                          "The experiment was stopped.")
//   labTrial      {lab: id, settings, trial}            -> the experiment's trial result (exp.trial: one trial of
//                                                          a search, for the page's pool of workers,
//                                                          web/lib/lab/pool.js; its data is prepared once per
//                                                          settings and kept for the next trial; without
//                                                          a trial, only that: -> {prepared: true})
// Events
//   {event: "data", what, loaded, total}                 download progress of a data file
//   {event: "progress", iteration, total_iterations, epoch, epochs, loss, smoothed_loss, lr,
//                       images_per_s, eta_seconds, losses: [...new per-iteration losses]}
//   {event: "epoch", record: {epoch, train_loss, train_accuracy, val_loss, val_accuracy, ...},
//                    test: evaluation}   (after the test set's evaluation, done in slices: "evaluating")
//   {event: "evaluating", what: "epoch"|"final", done, total}   progress of a test-set evaluation (images)
//   {event: "evaluation", iteration, epoch: fractional epochs done, test: evaluation}   during training,
//                    every ~12 s of training: the first 1,000 test images (a fixed subset), so that an
//                    accuracy point and a confusion matrix exist within the first minute
//   {event: "checkpoint", bytes: Uint8Array, iteration, epoch}   (every few seconds and every epoch)
//   {event: "done", status: "finished"|"early_stopped"|"diverged"|"stopped"|"failed", message, test: evaluation}
//   {event: "labUpdate", lab, partial}   a running experiment's partial result (its view draws it)
//   {event: "busy", what}       a long synchronous step starts (the page's watchdog waits longer)
//   {event: "fatal", message}   the engine trapped (a WebAssembly.RuntimeError): the worker answers nothing
//                               more; the page starts another (web/engine-client.js)
// Model info: {name, architecture, layers: [{name, type, shape, params, macs, ...}], total_params,
//              total_macs, input: [c,h,w], classes, preprocess, metrics}
// Evaluation: {count, loss, accuracy, confusion: [[...]], per_class: [...], wrong: [indices], predicted: [...]}
(function (root) {
  'use strict';
  const types = Object.freeze([
    'init',
    'ping',
    'stats',
    'crashForTest',
    'loadModel',
    'unloadModel',
    'saveModel',
    'modelInfo',
    'exportOnnx',
    'inspectModel',
    'classify',
    'activations',
    'weights',
    'judge',
    'calibrate',
    'loadData',
    'testImages',
    'train',
    'pause',
    'resume',
    'stop',
    'evaluate',
    'runLab',
    'stopLab',
    'labTrial',
  ]);
  const events = Object.freeze([
    'data',
    'progress',
    'epoch',
    'evaluating',
    'evaluation',
    'checkpoint',
    'done',
    'labUpdate',
    'busy',
    'fatal',
  ]);
  const byName = (list) => Object.freeze(Object.fromEntries(list.map((t) => [t, t])));
  const api = Object.freeze({
    types,
    events,
    // The names as constants: REQ.classify, EVENT.progress (a typo is undefined, and the client and
    // the worker refuse names that are not in these lists).
    REQ: byName(types),
    EVENT: byName(events),
    // The typed arrays of a message (one level deep, and inside arrays of objects), as a transfer list.
    transferables(msg) {
      const out = new Set();
      const visit = (v, depth) => {
        if (!v || typeof v !== 'object' || depth > 3) return;
        if (ArrayBuffer.isView(v)) {
          if (v.buffer instanceof ArrayBuffer && v.byteOffset === 0 && v.byteLength === v.buffer.byteLength)
            out.add(v.buffer);
          return;
        }
        for (const x of Array.isArray(v) ? v : Object.values(v)) visit(x, depth + 1);
      };
      visit(msg, 0);
      return [...out];
    },
  });
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.CnnProtocol = api;
})(typeof self !== 'undefined' ? self : globalThis);
