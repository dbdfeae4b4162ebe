// IDX files (the format MNIST is distributed in), gzipped or not, parsed in the browser or Node.
//   magic: 0x00 0x00 <type> <ndims>; then ndims big-endian uint32 sizes; then the data.
// Only unsigned bytes (type 0x08) are accepted: images and labels. Defines self.CnnIdx (or
// module.exports under Node).
(function (root) {
  'use strict';

  function isGzip(bytes) {
    return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  }

  // Decompresses gzip with the platform's DecompressionStream (browsers, Node >= 18).
  async function gunzip(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  // Returns {dims: [...], data: Uint8Array}. Throws an Error naming the file on anything malformed.
  function parse(bytes, name = 'the file') {
    if (!(bytes instanceof Uint8Array)) bytes = new Uint8Array(bytes);
    if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
      throw new Error(`${name} is not an IDX file (it should start with two zero bytes, a type and a rank)`);
    }
    if (bytes[2] !== 0x08) throw new Error(`${name}: IDX element type 0x${bytes[2].toString(16)} is not supported (only unsigned bytes, 0x08)`);
    const rank = bytes[3];
    if (rank < 1 || rank > 4) throw new Error(`${name}: IDX rank ${rank} is not supported (1 for labels, 3 or 4 for images)`);
    const header = 4 + 4 * rank;
    if (bytes.length < header) throw new Error(`${name} is truncated: its header needs ${header} bytes, it has ${bytes.length}`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const dims = [];
    let count = 1;
    for (let i = 0; i < rank; i++) {
      const d = view.getUint32(4 + 4 * i, false);
      if (d === 0) throw new Error(`${name}: dimension ${i} is zero`);
      dims.push(d);
      count *= d;
    }
    if (bytes.length - header < count) {
      throw new Error(`${name} is truncated: it declares ${dims.join('×')} = ${count} values but holds ${bytes.length - header}`);
    }
    if (bytes.length - header > count) throw new Error(`${name} has ${bytes.length - header - count} bytes after its data`);
    return { dims, data: bytes.subarray(header, header + count) };
  }

  async function parseMaybeGzip(bytes, name) {
    bytes = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    if (isGzip(bytes)) {
      try {
        bytes = await gunzip(bytes);
      } catch (e) {
        throw new Error(`${name} looks gzipped but does not decompress: it is truncated or corrupt`);
      }
    }
    return parse(bytes, name);
  }

  // Images (rank 3: n×h×w, or rank 4: n×c×h×w) and labels (rank 1: n) into a dataset description:
  // {pixels: Uint8Array, labels: Uint8Array, n, c, h, w, numClasses}.
  async function dataset(imageBytes, labelBytes, names = {}) {
    const img = await parseMaybeGzip(imageBytes, names.images || 'the image file');
    const lab = await parseMaybeGzip(labelBytes, names.labels || 'the label file');
    if (img.dims.length < 3) throw new Error(`${names.images || 'the image file'} has rank ${img.dims.length}; images need rank 3 (n×h×w) or 4 (n×c×h×w)`);
    if (lab.dims.length !== 1) throw new Error(`${names.labels || 'the label file'} has rank ${lab.dims.length}; labels need rank 1`);
    const [n] = img.dims;
    const [c, h, w] = img.dims.length === 3 ? [1, img.dims[1], img.dims[2]] : img.dims.slice(1);
    if (lab.dims[0] !== n) throw new Error(`the image file holds ${n} images but the label file ${lab.dims[0]} labels`);
    let maxLabel = 0;
    for (const v of lab.data) if (v > maxLabel) maxLabel = v;
    return { pixels: img.data, labels: lab.data, n, c, h, w, numClasses: maxLabel + 1 };
  }

  const api = { parse, parseMaybeGzip, dataset, gunzip, isGzip };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.CnnIdx = api;
})(typeof self !== 'undefined' ? self : globalThis);
