// --pre-js of the wasm test binary: hand the .wasm over directly, because Emscripten 3.1.6's
// loader tries fetch() on a file path under Node 20 and fails (docs/TOOLCHAIN.md, quirk 4).
Module['wasmBinary'] = require('fs').readFileSync(require('path').join(__dirname, 'cnn_tests.wasm'));
