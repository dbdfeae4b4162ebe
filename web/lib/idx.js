// IDX files (the format MNIST is distributed in), gzipped or not, parsed in the browser or Node, and
// written (write: the Lab's transfer experiment exports the student's drawings).
//   magic: 0x00 0x00 <type> <ndims>; then ndims big-endian uint32 sizes; then the data.
// Only unsigned bytes (type 0x08) are accepted: images and labels. Files that declare more than
// MAX_BYTES (1 GiB, header included) are refused. A gzipped file is decompressed as a stream: its
// header is read from the first bytes that come out, and decompression stops as soon as the output
// is longer than the header says (or the header declares too much), so a small file that expands
// to gigabytes (a "gzip bomb") is refused after little more than its header's promise.
// Defines self.CnnIdx (or module.exports under Node).
(function (root) {
  'use strict';

  const MAX_BYTES = 2 ** 30;
  const MAX_RANK = 4;

  const sizeText = (n) => (n >= 2 ** 30 && n % 2 ** 30 === 0 ? `${n / 2 ** 30} GiB` : `${n} bytes`);

  function isGzip(bytes) {
    return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  }

  // The file's bytes as a Uint8Array (from a Uint8Array, an ArrayBuffer or any ArrayBuffer view).
  function asBytes(bytes, name) {
    if (bytes instanceof Uint8Array) return bytes;
    if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
    if (ArrayBuffer.isView(bytes)) return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    throw new Error(`${name}: expected the file's bytes (a Uint8Array or an ArrayBuffer)`);
  }

  // The header at the start of `bytes`: {dims, header (its length in bytes), count (data bytes)},
  // or null when `bytes` is too short to hold it. Throws an Error naming the file when it is not an
  // IDX header this page reads, or declares more than `limit` bytes in all.
  function readHeader(bytes, name, limit) {
    if (bytes.length < 4) return null;
    if (bytes[0] !== 0 || bytes[1] !== 0) {
      throw new Error(`${name} is not an IDX file (it should start with two zero bytes, a type and a rank)`);
    }
    if (bytes[2] !== 0x08)
      throw new Error(
        `${name}: IDX element type 0x${bytes[2].toString(16)} is not supported (only unsigned bytes, 0x08)`,
      );
    const rank = bytes[3];
    if (rank < 1 || rank > MAX_RANK)
      throw new Error(`${name}: IDX rank ${rank} is not supported (1 for labels, 3 or 4 for images)`);
    const header = 4 + 4 * rank;
    if (bytes.length < header) return null;
    const view = new DataView(bytes.buffer, bytes.byteOffset, header);
    const dims = [];
    let count = 1;
    for (let i = 0; i < rank; i++) {
      const d = view.getUint32(4 + 4 * i, false);
      if (d === 0) throw new Error(`${name}: dimension ${i} is zero`);
      dims.push(d);
      count *= d;
    }
    if (header + count > limit) {
      throw new Error(
        `${name} declares ${dims.join('×')} = ${count} values, more than the ${sizeText(limit)} an IDX file may hold here`,
      );
    }
    return { dims, header, count };
  }

  // Decompresses a gzipped IDX file with the platform's DecompressionStream (browsers, Node >= 18),
  // stopping early as described at the top. `source`: the compressed bytes or a ReadableStream of
  // them. Returns the decompressed bytes (possibly fewer than declared: parse() then says the file
  // is truncated). `stats.decompressed` counts the bytes that came out of the decompressor.
  async function gunzipIdx(source, name = 'the file', { limit = MAX_BYTES, stats = {} } = {}) {
    const input =
      typeof ReadableStream !== 'undefined' && source instanceof ReadableStream
        ? source
        : new Blob([asBytes(source, name)]).stream();
    const reader = input.pipeThrough(new DecompressionStream('gzip')).getReader();
    stats.decompressed = 0;
    let out = new Uint8Array(Math.min(64 * 1024, limit));
    let filled = 0;
    let expected = -1; // header + data bytes, once the header is in
    let finished = false;
    const tooLong = () => {
      throw new Error(
        expected >= 0
          ? `${name} decompresses to more than the ${expected} bytes its header declares`
          : `${name} decompresses to more than ${sizeText(limit)}`,
      );
    };
    const reserve = (n) => {
      // room for n more bytes
      if (filled + n <= out.length) return;
      const cap = Math.min(expected >= 0 ? expected : limit, Math.max(2 * out.length, filled + n));
      let bigger;
      try {
        bigger = new Uint8Array(cap);
      } catch (e) {
        throw new Error(`${name} is too large to load here (${cap} bytes)`);
      }
      bigger.set(out.subarray(0, filled));
      out = bigger;
    };
    try {
      for (;;) {
        let r;
        try {
          r = await reader.read();
        } catch (e) {
          throw new Error(`${name} looks gzipped but does not decompress: it is truncated or corrupt`);
        }
        if (r.done) {
          finished = true;
          break;
        }
        const chunk = r.value;
        stats.decompressed += chunk.length;
        if (filled + chunk.length > (expected >= 0 ? expected : limit)) tooLong();
        reserve(chunk.length);
        out.set(chunk, filled);
        filled += chunk.length;
        if (expected < 0) {
          const h = readHeader(out.subarray(0, filled), name, limit);
          if (h) expected = h.header + h.count;
          if (h && filled > expected) tooLong();
        }
      }
    } finally {
      if (!finished) reader.cancel().catch(() => {});
    }
    return out.subarray(0, filled);
  }

  // Decompresses gzip fully, up to `limit` bytes of output (then it throws).
  async function gunzip(bytes, limit = MAX_BYTES) {
    const reader = new Blob([asBytes(bytes, 'the file')])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'))
      .getReader();
    const parts = [];
    let total = 0;
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      total += r.value.length;
      if (total > limit) {
        reader.cancel().catch(() => {});
        throw new Error(`the file decompresses to more than ${sizeText(limit)}`);
      }
      parts.push(r.value);
    }
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  // Returns {dims: [...], data: Uint8Array}. Throws an Error naming the file on anything malformed.
  function parse(bytes, name = 'the file') {
    bytes = asBytes(bytes, name);
    if (bytes.length < 4) {
      throw new Error(`${name} is not an IDX file (it should start with two zero bytes, a type and a rank)`);
    }
    const h = readHeader(bytes, name, MAX_BYTES);
    if (!h) throw new Error(`${name} is truncated: its header needs ${4 + 4 * bytes[3]} bytes, it has ${bytes.length}`);
    const { dims, header, count } = h;
    if (bytes.length - header < count) {
      throw new Error(
        `${name} is truncated: it declares ${dims.join('×')} = ${count} values but holds ${bytes.length - header}`,
      );
    }
    if (bytes.length - header > count)
      throw new Error(`${name} has ${bytes.length - header - count} bytes after its data`);
    return { dims, data: bytes.subarray(header, header + count) };
  }

  async function parseMaybeGzip(bytes, name = 'the file') {
    bytes = asBytes(bytes, name);
    if (isGzip(bytes)) bytes = await gunzipIdx(bytes, name);
    return parse(bytes, name);
  }

  // Images (rank 3: n×h×w, or rank 4: n×c×h×w) and labels (rank 1: n) into a dataset description:
  // {pixels: Uint8Array, labels: Uint8Array, n, c, h, w, numClasses}.
  async function dataset(imageBytes, labelBytes, names = {}) {
    const img = await parseMaybeGzip(imageBytes, names.images || 'the image file');
    const lab = await parseMaybeGzip(labelBytes, names.labels || 'the label file');
    if (img.dims.length < 3)
      throw new Error(
        `${names.images || 'the image file'} has rank ${img.dims.length}; images need rank 3 (n×h×w) or 4 (n×c×h×w)`,
      );
    if (lab.dims.length !== 1)
      throw new Error(`${names.labels || 'the label file'} has rank ${lab.dims.length}; labels need rank 1`);
    const [n] = img.dims;
    const [c, h, w] = img.dims.length === 3 ? [1, img.dims[1], img.dims[2]] : img.dims.slice(1);
    if (lab.dims[0] !== n) throw new Error(`the image file holds ${n} images but the label file ${lab.dims[0]} labels`);
    let maxLabel = 0;
    for (const v of lab.data) if (v > maxLabel) maxLabel = v;
    return { pixels: img.data, labels: lab.data, n, c, h, w, numClasses: maxLabel + 1 };
  }

  // An IDX file of unsigned bytes (type 0x08) with the sizes `dims` (e.g. [n, 28, 28] for images, [n]
  // for labels) holding `data` (as many bytes as the sizes multiply to): what parse() reads back and
  // `cnn train --images/--labels` reads.
  function write(dims, data) {
    if (!Array.isArray(dims) || dims.length < 1 || dims.length > MAX_RANK)
      throw new Error(`an IDX file has 1 to ${MAX_RANK} dimensions, not ${Array.isArray(dims) ? dims.length : dims}`);
    let count = 1;
    for (const d of dims) {
      if (!Number.isInteger(d) || d < 1 || d > 0xffffffff)
        throw new Error(`an IDX dimension must be a whole number ≥ 1, got ${d}`);
      count *= d;
    }
    if (data.length !== count) throw new Error(`the sizes ${dims.join('×')} need ${count} values, not ${data.length}`);
    const header = 4 + 4 * dims.length;
    const out = new Uint8Array(header + count);
    out[2] = 0x08;
    out[3] = dims.length;
    const view = new DataView(out.buffer);
    dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
    out.set(data, header);
    return out;
  }

  const api = { parse, parseMaybeGzip, dataset, write, gunzip, gunzipIdx, isGzip, MAX_BYTES };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else root.CnnIdx = api;
})(typeof self !== 'undefined' ? self : globalThis);
