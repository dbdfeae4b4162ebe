// Linked after the Embind glue (--post-js). Turns the engine's error values into JS exceptions.
//
// Each C++ entry point catches its own exceptions, keeps the message and returns normally
// (bindings.cpp, guard), so no JS exception ever crosses wasm frames: a throw through them would leave
// the wasm stack pointer and the Embind handles of the call behind (16 bytes and one or two handles per
// error). Here every class method, class constructor and module function is wrapped: after the call
// the message is taken with Module.takeError() and, when there is one, thrown as an Error.
addOnPostRun(function wrapEngineErrors() {
  'use strict';
  const take = Module['takeError'];
  if (typeof take !== 'function') return;
  const check = () => {
    const message = take();
    if (message) throw new Error(message);
  };
  // Embind's own methods of every handle (they do not enter the engine).
  const own = new Set(['constructor', 'delete', 'clone', 'isDeleted', 'deleteLater', 'isAliasOf']);
  for (const name of ['Dataset', 'Model', 'Training', 'Optimizer']) {
    const cls = Module[name];
    if (typeof cls !== 'function') continue;
    const proto = cls.prototype;
    for (const key of Object.getOwnPropertyNames(proto)) {
      const f = proto[key];
      if (own.has(key) || typeof f !== 'function') continue;
      proto[key] = function (...args) {
        const r = f.apply(this, args);
        check();
        return r;
      };
    }
    // On an error the C++ factory returned null, so nothing was allocated and there is nothing to delete.
    Module[name] = new Proxy(cls, {
      construct(target, args, newTarget) {
        const obj = Reflect.construct(target, args, newTarget);
        check();
        return obj;
      },
    });
  }
  for (const name of ['loadModel', 'modelFileInfo', 'setThreads']) {
    const f = Module[name];
    if (typeof f !== 'function') continue;
    Module[name] = function (...args) {
      const r = f.apply(this, args);
      check();
      return r;
    };
  }
});
