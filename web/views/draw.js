// The drawing pad: mouse, touch and pen strokes with a soft round brush; the drawing becomes an
// MNIST-style 28×28 input (lib/digitize.js), shown enlarged, and the class probabilities update
// while the user draws (at most one request in flight; the newest drawing wins). The answer is the
// verdict of lib/verdict.js in plain words: the digit, "Not sure" or "That does not look like a digit".
/* global CnnDigitize, CnnVerdict */
import '../lib/verdict.js'; // defines self.CnnVerdict

export class DrawView {
  constructor({ pad, preview, clear, bars, top, topConf, hint }, classify) {
    this.pad = pad;
    this.preview = preview;
    this.bars = bars;
    this.top = top;
    this.topConf = topConf;
    this.hint = hint;
    // async (Float32Array 784) -> Float32Array probs, or {probs, distance, calibration} (engine judge)
    this.classify = classify;
    this.calibration = null; // {T, limit} of the model (lib/verdict.js), when it was calibrated
    this.verdict = null; // the last verdict (lib/verdict.js judge)
    this.prompt = ''; // what the answer says before there is an input (default: 'Draw a digit in the box')
    this.listeners = [];
    this.ctx = pad.getContext('2d', { willReadFrequently: true });
    this.brush = pad.width * 0.075;
    this.inFlight = false;
    this.gen = 0; // each answer's input, in order: only the newest input's answer is shown
    this.dirty = false;
    this.image = null;
    this.labels = Array.from({ length: 10 }, (_, i) => String(i));
    this.buildBars(10);
    this.bindPointer();
    clear.addEventListener('click', () => this.clear());
    pad.addEventListener('keydown', (e) => {
      if (e.key === 'Delete' || e.key === 'Backspace' || e.key === 'Escape') {
        e.preventDefault();
        this.clear();
      }
    });
  }

  onInput(fn) {
    this.listeners.push(fn);
  }

  setLabels(labels) {
    this.labels = labels;
    this.bars.classList.toggle(
      'named',
      labels.some((l) => l.length > 2),
    );
    this.buildBars(labels.length);
    if (this.image) this.update();
  }

  buildBars(n) {
    this.rows = buildBars(
      this.bars,
      Array.from({ length: n }, (_, i) => this.labels[i] ?? String(i)),
    );
  }

  bindPointer() {
    drawOnPad(this.pad, this.ctx, {
      brush: () => this.brush,
      onDown: () => {
        if (this.external) {
          // a test image is on the pad: drawing starts a new digit
          this.ctx.clearRect(0, 0, this.pad.width, this.pad.height);
          this.external = false;
        }
        this.hint.hidden = true;
      },
      onChange: () => this.schedule(),
    });
  }

  clear() {
    this.ctx.clearRect(0, 0, this.pad.width, this.pad.height);
    this.external = false;
    this.image = null;
    this.hint.hidden = false;
    this.paintPreview(new Float32Array(784));
    this.showProbs(null);
    for (const fn of this.listeners) fn(null);
  }

  // The pad's ink (its alpha channel) as values in [0, 1].
  ink() {
    return padInk(this.pad, this.ctx);
  }

  // data-pending on the pad while the newest input's answer is not shown yet (page tests wait on it).
  pending(on) {
    if (on) this.pad.dataset.pending = '1';
    else delete this.pad.dataset.pending;
  }

  schedule() {
    this.dirty = true;
    this.pending(true);
    if (!this.raf)
      this.raf = requestAnimationFrame(() => {
        this.raf = 0;
        this.update();
      });
  }

  async update() {
    if (this.inFlight) return; // the reply's handler sends the newest drawing
    this.dirty = false;
    const { image, empty } = CnnDigitize.digitize(this.ink(), this.pad.width, this.pad.height);
    this.paintPreview(image);
    if (empty) {
      this.pending(false);
      return;
    }
    this.image = image;
    for (const fn of this.listeners) fn(image);
    this.inFlight = true;
    const gen = ++this.gen;
    try {
      const answer = await this.classify(image.slice());
      if (gen === this.gen) this.showAnswer(answer); // else a newer input was shown meanwhile
    } catch (e) {
      this.showProbs(null, e.message);
    } finally {
      this.inFlight = false;
      if (this.dirty) this.update();
      else if (gen === this.gen) this.pending(false);
    }
  }

  // Shows an external image (a test image, an API call's input) as the current input, with its
  // probabilities (`probs`, or classified here). Resolves to the probabilities (null on an error).
  async show(image, probs) {
    // The user's own drawing shown again (another model, a calibration that ended while drawing):
    // its ink stays on the pad, and the next stroke continues it rather than starting a new digit.
    if (image !== this.image || this.external) {
      this.ctx.clearRect(0, 0, this.pad.width, this.pad.height);
      this.paintPad(image);
    }
    this.hint.hidden = true;
    this.paintPreview(image);
    this.image = image;
    const gen = ++this.gen;
    this.pending(true);
    try {
      const p = probs || (await this.classify(image.slice()));
      if (gen === this.gen) this.showAnswer(p); // an answer for an older input never replaces a newer one's
      return p.probs || p;
    } catch (e) {
      this.showProbs(null, e.message);
      return null;
    } finally {
      if (gen === this.gen && !this.dirty && !this.inFlight) this.pending(false);
    }
  }

  // The image on the pad too, enlarged and smoothed, in the brush's ink: the pad shows the input.
  paintPad(image) {
    if (image.length !== 784) return;
    const small = document.createElement('canvas');
    small.width = small.height = 28;
    const sctx = small.getContext('2d');
    const img = sctx.createImageData(28, 28);
    for (let i = 0; i < 784; i++) img.data[4 * i + 3] = Math.round(255 * Math.min(1, Math.max(0, image[i])));
    sctx.putImageData(img, 0, 0);
    this.ctx.imageSmoothingEnabled = true;
    this.ctx.drawImage(small, 0, 0, this.pad.width, this.pad.height);
    this.external = true;
  }

  paintPreview(image) {
    paintInput(this.preview, image);
  }

  // A classify answer: probabilities, or {probs, distance, calibration} from the engine's judge.
  showAnswer(r) {
    if (r && r.probs) {
      this.calibration = r.calibration || null; // the engine's word: null until the model is calibrated
      this.showProbs(r.probs, null, r.distance);
    } else this.showProbs(r);
  }

  // The verdict (lib/verdict.js) on the current input (`distance` from the engine's judge).
  judge(probs, distance = null) {
    return CnnVerdict.judgeAnswer({ probs, distance, calibration: this.calibration }, this.image, this.labels);
  }

  showProbs(probs, error, distance = null) {
    const box = this.top.parentElement;
    if (!probs) {
      this.verdict = null;
      delete box.dataset.verdict;
      paintBars(this.rows, null);
      this.top.textContent = '?';
      this.topConf.textContent = error || this.prompt || 'Draw a digit in the box';
      this.topConf.classList.toggle('error', !!error);
      return;
    }
    // the bars show the calibrated probabilities (softmax(z / T)), the numbers the verdict reads
    const v = (this.verdict = this.judge(probs, distance));
    const best = v.top;
    paintBars(this.rows, v.probs, v.verdict === 'digit' ? best : -1);
    const w = CnnVerdict.words(v, this.labels);
    box.dataset.verdict = v.verdict;
    this.top.textContent =
      v.verdict === 'digit' ? (this.labels[best] ?? String(best)) : v.verdict === 'unsure' ? '?' : '✗';
    this.topConf.textContent = v.verdict === 'digit' ? w.headline : `${w.headline}${w.detail ? `: ${w.detail}` : ''}.`;
    this.topConf.title =
      v.verdict === 'digit'
        ? ''
        : `The network's top class is ${this.labels[best] ?? best} (${(100 * v.confidence).toFixed(1)} %)`;
    this.topConf.classList.remove('error');
  }
}

// Mouse, touch and pen strokes on a pad (a canvas and its 2D context) with a soft round brush of
// brush() px: onDown() when a stroke starts (before its first dot), onChange() after every dot and
// when a stroke ends. The Draw card's pad and the Lab's transfer experiment's pad draw with it.
export function drawOnPad(pad, ctx, { brush, onDown = () => {}, onChange = () => {} }) {
  let last = null;
  const pos = (e) => {
    const r = pad.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
  };
  const dot = (p, pressure) => {
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = ctx.fillStyle = '#000';
    ctx.lineWidth = brush() * (0.75 + 0.5 * pressure);
    ctx.beginPath();
    if (last) {
      ctx.moveTo(last[0], last[1]);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
    } else {
      ctx.arc(p[0], p[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
    }
    last = p;
  };
  // Mice report pressure 0.5 while a button is down; pens and some touch screens report it.
  const pressureOf = (e) => (e.pointerType === 'pen' && e.pressure > 0 ? e.pressure : 0.5);
  pad.addEventListener('pointerdown', (e) => {
    if (e.button !== 0 && e.pointerType === 'mouse') return;
    e.preventDefault();
    onDown();
    pad.setPointerCapture(e.pointerId);
    last = null;
    dot(pos(e), pressureOf(e));
    onChange();
  });
  pad.addEventListener('pointermove', (e) => {
    if (!pad.hasPointerCapture(e.pointerId)) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ce of events.length ? events : [e]) dot(pos(ce), pressureOf(ce));
    onChange();
  });
  const end = (e) => {
    if (pad.hasPointerCapture(e.pointerId)) pad.releasePointerCapture(e.pointerId);
    last = null;
    onChange();
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);
}

// A pad's ink (its alpha channel) as values in [0, 1]: what lib/digitize.js takes.
export function padInk(pad, ctx) {
  const { width: w, height: h } = pad;
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const ink = new Float32Array(w * h);
  for (let i = 0; i < w * h; i++) ink[i] = rgba[4 * i + 3] / 255;
  return ink;
}

// A 28×28 input in grey levels (ink white on black, as the network sees it) on a 28×28 canvas.
export function paintInput(canvas, image) {
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.round(255 * Math.min(1, Math.max(0, image[i] || 0)));
    img.data.set([v, v, v, 255], 4 * i);
  }
  ctx.putImageData(img, 0, 0);
}

// The probability bars (an <ol class="bars">): one row per class with its label, a bar and the value.
// Used by the draw view and by the train widget's "Watch it learn" panel (views/learning.js).
export function buildBars(ol, labels) {
  ol.replaceChildren();
  return labels.map((text) => {
    const li = document.createElement('li');
    const label = document.createElement('span');
    label.className = 'lbl';
    label.textContent = text;
    const track = document.createElement('span');
    track.className = 'track';
    const bar = document.createElement('span');
    bar.className = 'bar';
    track.append(bar);
    const val = document.createElement('span');
    val.className = 'val';
    val.textContent = '–';
    li.append(label, track, val);
    ol.append(li);
    return { li, bar, val };
  });
}

// Shows probabilities (null: none) on the rows of buildBars; the row `best` is highlighted.
export function paintBars(rows, probs, best = -1) {
  rows.forEach((r, i) => {
    const p = probs ? (i < probs.length ? probs[i] : 0) : null;
    r.bar.style.width = p === null ? '0' : `${(100 * p).toFixed(1)}%`;
    r.val.textContent = p === null ? '–' : `${(100 * p).toFixed(1)} %`;
    r.li.classList.toggle('best', p !== null && i === best);
  });
}
