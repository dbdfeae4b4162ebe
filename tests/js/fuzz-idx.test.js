// The page's IDX reader (web/lib/idx.js) against hostile files, under Node:
//   - gzip bombs: a small .gz whose IDX header declares a few kB but which expands to 200 MB is
//     refused after decompressing little more than the header promised (counted in bytes that come
//     out of the DecompressionStream, not in time); a header declaring more than 1 GiB is refused
//     before any data;
//   - a bounded mutation loop (CNN_FUZZ_JS_SECONDS, default 10 s, split between raw and gzipped
//     files; seeded by CNN_FUZZ_SEED, printed) over valid files: parse() and parseMaybeGzip() must
//     return exactly prod(dims) bytes or throw a plain Error naming the file, never a TypeError or
//     RangeError from inside.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const zlib = require('zlib');
const idx = require('../../web/lib/idx.js');

const header = (dims) => {
  const b = Buffer.alloc(4 + 4 * dims.length);
  b[2] = 0x08;
  b[3] = dims.length;
  dims.forEach((d, i) => b.writeUInt32BE(d, 4 + 4 * i));
  return b;
};
const file = (dims, fill = (i) => i * 37) => {
  const n = dims.reduce((a, b) => a * b, 1);
  return Buffer.concat([header(dims), Buffer.from(Array.from({ length: n }, (_, i) => fill(i) & 255))]);
};

// Counts the bytes that come out of every DecompressionStream made while f runs.
async function countingDecompression(f) {
  const Original = globalThis.DecompressionStream;
  const seen = { bytes: 0 };
  globalThis.DecompressionStream = class {
    constructor(format) {
      const inner = new Original(format);
      this.writable = inner.writable;
      this.readable = inner.readable.pipeThrough(
        new TransformStream({
          transform(chunk, controller) {
            seen.bytes += chunk.length;
            controller.enqueue(chunk);
          },
        }),
      );
    }
  };
  try {
    return {
      result: await f().then(
        (v) => ({ value: v }),
        (e) => ({ error: e }),
      ),
      seen,
    };
  } finally {
    globalThis.DecompressionStream = Original;
  }
}

test('a gzip bomb is refused after decompressing little more than its header declares', async () => {
  // Header: 10 images of 28x28 (7,856 bytes in all); then 200 MB of zeros.
  const big = 200 * 2 ** 20;
  const gz = zlib.gzipSync(Buffer.concat([header([10, 28, 28]), Buffer.alloc(big)]), { level: 9 });
  assert.ok(gz.length < 300000, `the bomb is small (${gz.length} bytes)`);
  const { result, seen } = await countingDecompression(() => idx.parseMaybeGzip(gz, 'bomb.gz'));
  assert.ok(result.error, 'refused');
  assert.equal(result.error.constructor, Error);
  assert.match(result.error.message, /bomb\.gz decompresses to more than the 7856 bytes its header declares/);
  // The old reader decompressed all 200 MB before looking at the header.
  assert.ok(seen.bytes < 8 * 2 ** 20, `decompression stopped early: ${seen.bytes} bytes came out of ${big}`);

  // gunzipIdx's own count, from a stream of the compressed bytes. (The compressed bytes themselves
  // are taken in at once: they are the file, already in memory; the work is in what comes out.)
  let pulled = 0;
  const chunk = 4096;
  const source = new ReadableStream(
    {
      pull(controller) {
        if (pulled >= gz.length) return controller.close();
        controller.enqueue(new Uint8Array(gz.subarray(pulled, pulled + chunk)));
        pulled += chunk;
      },
    },
    { highWaterMark: 0 },
  );
  const stats = {};
  await assert.rejects(idx.gunzipIdx(source, 'bomb.gz', { stats }), /more than the 7856 bytes its header declares/);
  assert.ok(stats.decompressed < 8 * 2 ** 20, `${stats.decompressed} bytes decompressed`);
});

test('a gzipped header declaring more than 1 GiB is refused before any data', async () => {
  const gz = zlib.gzipSync(Buffer.concat([header([60000, 200, 100]), Buffer.alloc(1000)]));
  const { result, seen } = await countingDecompression(() => idx.parseMaybeGzip(gz, 'huge.gz'));
  assert.match(result.error.message, /huge\.gz declares 60000×200×100 = 1200000000 values, more than the 1 GiB/);
  assert.ok(seen.bytes < 2 ** 20);
  const raw = Buffer.concat([header([65536, 65536]), Buffer.alloc(8)]);
  assert.throws(
    () => idx.parse(raw, 'raw.idx'),
    /raw\.idx declares 65536×65536 = 4294967296 values, more than the 1 GiB/,
  );
  await assert.rejects(idx.gunzip(zlib.gzipSync(Buffer.alloc(3000)), 2000), /decompresses to more than 2000 bytes/);
});

test('gzipped files: exact, truncated, with extra data, not IDX at all', async () => {
  const f = file([3, 4, 5]);
  const ok = await idx.parseMaybeGzip(zlib.gzipSync(f), 'ok.gz');
  assert.deepEqual(ok.dims, [3, 4, 5]);
  assert.deepEqual(Buffer.from(ok.data), f.subarray(16));
  await assert.rejects(
    idx.parseMaybeGzip(zlib.gzipSync(f.subarray(0, 50)), 'cut.gz'),
    /cut\.gz is truncated: it declares 3×4×5 = 60 values but holds 34/,
  );
  await assert.rejects(
    idx.parseMaybeGzip(zlib.gzipSync(Buffer.concat([f, Buffer.alloc(1)])), 'long.gz'),
    /long\.gz decompresses to more than the 76 bytes/,
  );
  await assert.rejects(
    idx.parseMaybeGzip(zlib.gzipSync(Buffer.from('hello, world')), 'text.gz'),
    /text\.gz is not an IDX file/,
  );
  await assert.rejects(idx.parseMaybeGzip(zlib.gzipSync(Buffer.alloc(0)), 'empty.gz'), /empty\.gz is not an IDX file/);
  await assert.rejects(
    idx.parseMaybeGzip(zlib.gzipSync(f).subarray(0, 30), 'bad.gz'),
    /bad\.gz looks gzipped but does not decompress/,
  );
  assert.throws(() => idx.parse({ length: 1e10 }, 'obj'), /obj: expected the file's bytes/);
  assert.throws(() => idx.parse('text', 'str'), /str: expected the file's bytes/);
  assert.deepEqual(idx.parse(f.buffer.slice(f.byteOffset, f.byteOffset + f.length), 'ab').dims, [3, 4, 5]);
});

// --- the mutation loop -------------------------------------------------------------------------
const { mulberry32: rng } = require('../../scripts/lib/mulberry32.js');

function checkOutcome(label, bytes, out) {
  if (out.error) {
    const e = out.error;
    assert.equal(
      e.constructor,
      Error,
      `${label}: ${e.constructor.name} (${e.message}) for ${Buffer.from(bytes.subarray(0, 64)).toString('hex')}`,
    );
    assert.ok(e.message.includes('f.idx'), `${label}: the message names the file: ${e.message}`);
    return false;
  }
  const { dims, data } = out.value;
  assert.ok(dims.length >= 1 && dims.length <= 4);
  assert.equal(
    data.length,
    dims.reduce((a, b) => a * b, 1),
  );
  return true;
}

test('fuzz: parse and parseMaybeGzip refuse cleanly or return exactly what the header declares', async () => {
  const seconds = Number(process.env.CNN_FUZZ_JS_SECONDS || 10);
  const seed = Number(process.env.CNN_FUZZ_SEED || Date.now() % 2 ** 31);
  const r = rng(seed);
  const int = (n) => Math.floor(r() * n);
  const pick = (a) => a[int(a.length)];
  const seeds = [file([10]), file([3, 4, 5]), file([2, 1, 3, 3]), file([1, 2]), file([5, 1, 1])];
  const special = [0, 1, 2, 3, 4, 5, 8, 0x0d, 0x1f, 0x7f, 0x80, 0x8b, 0xfe, 0xff];
  function mutate(b) {
    b = Buffer.from(b);
    for (let m = 1 + int(4); m > 0; m--) {
      const op = int(6);
      const i = int(b.length + 1);
      if (op === 0 && b.length) b[int(b.length)] ^= 1 << int(8);
      else if (op === 1 && b.length)
        b[int(Math.min(b.length, 24))] = pick(special); // mostly the header
      else if (op === 2) b = b.subarray(0, i);
      else if (op === 3)
        b = Buffer.concat([
          b.subarray(0, i),
          Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256))),
          b.subarray(i),
        ]);
      else if (op === 4 && b.length >= 8) {
        // a dimension
        const slots = Math.min(4, Math.floor((b.length - 4) / 4));
        b.writeUInt32BE(
          pick([0, 1, 2, 3, 60, 0xffff, 0x10000, 0x7fffffff, 0xffffffff, int(2 ** 32)]),
          4 + 4 * int(slots),
        );
      } else if (op === 5) b = Buffer.concat([b, b.subarray(int(b.length))]);
    }
    return b;
  }
  const counts = { raw: 0, gz: 0, accepted: 0 };
  const half = Date.now() + seconds * 500;
  while (Date.now() < half) {
    for (let k = 0; k < 200; k++) {
      const b = mutate(pick(seeds));
      let out;
      try {
        out = { value: idx.parse(b, 'f.idx') };
      } catch (e) {
        out = { error: e };
      }
      if (checkOutcome('parse', b, out)) counts.accepted++;
      counts.raw++;
    }
  }
  const end = Date.now() + seconds * 500;
  while (Date.now() < end) {
    // Gzipped mutants, and mutated gzip bytes.
    const plain = mutate(pick(seeds));
    let gz = zlib.gzipSync(plain);
    if (r() < 0.3) gz = mutate(gz);
    const t0 = Date.now();
    const out = await idx.parseMaybeGzip(gz, 'f.idx').then(
      (value) => ({ value }),
      (error) => ({ error }),
    );
    assert.ok(Date.now() - t0 < 2000, `parseMaybeGzip took ${Date.now() - t0} ms`);
    if (checkOutcome('parseMaybeGzip', gz, out)) counts.accepted++;
    counts.gz++;
  }
  console.log(
    `fuzz-idx: seed ${seed}, ${counts.raw} raw and ${counts.gz} gzipped inputs in ${seconds} s, ${counts.accepted} accepted`,
  );
  assert.ok(counts.raw > 100 && counts.gz > 10 && counts.accepted > 0);
});
