// The view of the "transfer" experiment (lib/lab/transfer.js). Above Run, the student's own small
// data set: class names, a drawing pad (the Draw card's: views/draw.js drawOnPad, lib/digitize.js),
// Add, Undo, a gallery per class with delete, the held-out drawings marked (each class's last ones,
// as the experiment splits them); saved in the browser (lib/store.js) and exported as IDX files
// (lib/idx.js, lib/download.js). Below Run, the result: each way of learning with its held-out
// accuracy, training accuracy, time and trained weights (a bar per accuracy), the held-out accuracy
// pass by pass, and the held-out drawings with each way's answer. After a run the best model is
// loaded into a slot of the engine and classifies what is drawn on the pad, live.
/* global CnnDigitize */
import { el } from '../../lib/dom.js';
import '../../lib/digitize.js'; // defines self.CnnDigitize
import '../../lib/idx.js'; // defines self.CnnIdx (the export)
import { Lab } from '../../lib/lab/index.js';
import { store } from '../../lib/store.js';
import { downloadBytes } from '../../lib/download.js';
import { drawOnPad, padInk, paintInput, buildBars, paintBars } from '../draw.js';
import { lineChart, COLORS } from './charts.js';

const KEY = 'lab-transfer:drawings'; // the store's item: {classes, drawings: [{label, image}]}
let slots = 0; // each transfer view's model classifies in an engine slot of its own
const MAX_CLASSES = 10;
const MAX_PER_CLASS = 50;
const COLOR = { frozen: COLORS[0], finetune: COLORS[2], scratch: COLORS[1] };
const SHORT = { frozen: 'frozen-features', finetune: 'fine-tuned', scratch: 'from-scratch' };
const pct = (x) => `${(100 * x).toFixed(0)} %`;
const int = (n) => Number(n).toLocaleString('en-US');

function thumb(image, title) {
  const c = el('canvas', { width: 28, height: 28, class: 'tl-thumb', title, role: 'img', 'aria-label': title });
  paintInput(
    c,
    Float32Array.from(image, (v) => v / 255),
  );
  return c;
}

// The drawing panel: its state is {classes: [names], drawings: [{label, image: Uint8Array(784)}]}.
class Drawings {
  constructor(panel, { session, lab }) {
    this.panel = panel;
    this.session = session;
    this.lab = lab;
    this.state = { classes: ['A', 'B', 'C'], drawings: [] };
    this.history = []; // earlier states, for Undo
    this.current = 0; // the class the next drawing goes to
    this.model = null; // {classes, label, accuracy} of the model in the slot, once a run ended
    this.slot = `lab-transfer-${++slots}`;
    this.build();
    this.refresh();
    store
      .get(KEY)
      .then((saved) => {
        if (saved && Array.isArray(saved.classes) && Array.isArray(saved.drawings) && !this.history.length) {
          this.state = {
            classes: saved.classes.map(String).slice(0, MAX_CLASSES),
            drawings: saved.drawings
              .filter(
                (d) => Number.isInteger(d.label) && d.label < saved.classes.length && d.image && d.image.length === 784,
              )
              .map((d) => ({ label: d.label, image: Uint8Array.from(d.image) })),
          };
          this.refresh();
          if (this.state.drawings.length) this.say(`Your ${this.state.drawings.length} saved drawings are back.`);
        }
      })
      .catch(() => {}); // no storage (a private window): the drawings live as long as the page
  }

  build() {
    this.pad = el('canvas', {
      width: 280,
      height: 280,
      class: 'tl-pad',
      tabindex: 0,
      'aria-label': 'Drawing pad: draw one letter or symbol, then Add it to the selected class',
    });
    this.ctx = this.pad.getContext('2d', { willReadFrequently: true });
    this.preview = el('canvas', { width: 28, height: 28, class: 'tl-preview', 'aria-label': 'The 28×28 input' });
    this.image = null;
    drawOnPad(this.pad, this.ctx, {
      brush: () => this.pad.width * 0.075, // the Draw card's brush
      onChange: () => this.schedule(),
    });
    this.classList = el('div', { class: 'tl-classes', role: 'radiogroup', 'aria-label': 'Classes' });
    this.newName = el('input', {
      type: 'text',
      maxlength: 12,
      placeholder: 'new class',
      'aria-label': 'New class name',
      size: 8,
    });
    const addClass = el('button', { type: 'button', text: 'Add class', onclick: () => this.addClass() });
    this.newName.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        this.addClass();
      }
    });
    this.addBtn = el('button', { type: 'button', class: 'primary', text: 'Add drawing', onclick: () => this.add() });
    this.clearBtn = el('button', { type: 'button', text: 'Clear pad', onclick: () => this.clearPad() });
    this.undoBtn = el('button', { type: 'button', text: 'Undo', onclick: () => this.undo() });
    this.exportBtn = el('button', { type: 'button', text: 'Export IDX', onclick: () => this.export() });
    this.clearAllBtn = el('button', { type: 'button', text: 'Delete all', onclick: () => this.deleteAll() });
    this.msg = el('p', { class: 'muted tl-msg', role: 'status', 'aria-live': 'polite' });
    this.summary = el('p', { class: 'tl-summary' });
    this.gallery = el('div', { class: 'tl-gallery', 'aria-label': 'Your drawings' });
    this.bars = el('ol', { class: 'bars tl-bars', 'aria-label': 'The trained model’s probability of each class' });
    this.answer = el('p', {
      class: 'tl-answer',
      'aria-live': 'polite',
      text: 'After Run, the best model classifies what you draw here.',
    });
    this.rows = [];
    this.panel.replaceChildren(
      el('h4', { text: 'Your drawings' }),
      el(
        'div',
        { class: 'tl-draw' },
        el(
          'div',
          { class: 'tl-padbox' },
          el('p', { class: 'muted tl-label', text: 'Draw one letter or symbol in the box:' }),
          this.pad,
          el('div', { class: 'row tl-padrow' }, this.addBtn, this.clearBtn, this.preview),
        ),
        el(
          'div',
          { class: 'tl-side' },
          el('p', { class: 'muted tl-label', text: 'The next drawing goes to:' }),
          this.classList,
          el('div', { class: 'row tl-newclass' }, this.newName, addClass),
          el('div', { class: 'row tl-tools' }, this.undoBtn, this.exportBtn, this.clearAllBtn),
          this.msg,
          el('div', { class: 'tl-live' }, this.answer, this.bars),
        ),
      ),
      this.summary,
      this.gallery,
    );
    // the held-out marks follow the form's "held out" value
    if (this.lab.form) this.lab.form.addEventListener('change', () => this.refresh());
  }

  say(text, kind = '') {
    this.msg.textContent = text;
    this.msg.className = `muted tl-msg ${kind}`;
  }

  get holdout() {
    return this.lab.values.holdout;
  }

  // ---- the pad ----
  schedule() {
    if (this.raf) return;
    this.raf = requestAnimationFrame(() => {
      this.raf = 0;
      const { image, empty } = CnnDigitize.digitize(padInk(this.pad, this.ctx), this.pad.width, this.pad.height);
      this.image = empty ? null : image;
      paintInput(this.preview, image);
      this.addBtn.disabled = !this.image || !this.state.classes.length;
      this.classify();
    });
  }

  clearPad() {
    this.ctx.clearRect(0, 0, this.pad.width, this.pad.height);
    this.image = null;
    paintInput(this.preview, new Float32Array(784));
    this.addBtn.disabled = true;
    if (this.model) this.showAnswer(null);
  }

  // The trained model's answer for the pad's drawing (one request at a time; the newest wins).
  async classify() {
    if (!this.model || !this.image) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    this.pad.dataset.pending = '1';
    try {
      const probs = await this.session.client.classify(this.image.slice(), this.slot);
      this.showAnswer(probs);
    } catch (e) {
      this.answer.textContent = e.message;
    } finally {
      this.busy = false;
      if (this.again) {
        this.again = false;
        this.classify();
      } else delete this.pad.dataset.pending;
    }
  }

  showAnswer(probs) {
    const m = this.model;
    if (!probs) {
      paintBars(this.rows, null);
      this.answer.textContent = `Draw a letter: the ${m.label} model of the last run (${pct(m.accuracy)} of the held-out drawings right) says which class it is.`;
      return;
    }
    let best = 0;
    for (let i = 1; i < probs.length; i++) if (probs[i] > probs[best]) best = i;
    paintBars(this.rows, probs, best);
    this.answer.replaceChildren(
      el('span', { text: 'The model says ' }),
      el('strong', { class: 'tl-guess', text: m.classes[best] }),
      el('span', { text: ` (${(100 * probs[best]).toFixed(1)} %; the ${m.label} model of the last run)` }),
    );
  }

  // ---- the data set ----
  change(next, said) {
    this.history.push(this.state);
    if (this.history.length > 100) this.history.shift();
    this.state = next;
    this.refresh();
    this.save();
    if (said) this.say(said);
  }

  // Puts the drawings in the browser's store. The panel carries data-saving while a put is in flight
  // (the store's transactions end in the order they began), so a test can wait for the last one.
  save() {
    const n = (this.saving = (this.saving || 0) + 1);
    this.panel.dataset.saving = 'true';
    store
      .put(KEY, { classes: this.state.classes, drawings: this.state.drawings })
      .catch((e) => this.say(`Not saved in this browser: ${e.message}`, 'error'))
      .finally(() => {
        if (n === this.saving) delete this.panel.dataset.saving;
      });
  }

  addClass() {
    const name = this.newName.value.trim().slice(0, 12);
    const { classes, drawings } = this.state;
    if (!name) return this.say('Type a name for the new class first.', 'error');
    if (classes.includes(name)) return this.say(`There is a class “${name}” already.`, 'error');
    if (classes.length >= MAX_CLASSES) return this.say(`At most ${MAX_CLASSES} classes.`, 'error');
    this.newName.value = '';
    this.current = classes.length;
    this.change({ classes: [...classes, name], drawings }, `Class “${name}” added: draw it and Add.`);
  }

  removeClass(k) {
    const { classes, drawings } = this.state;
    const name = classes[k];
    const n = drawings.filter((d) => d.label === k).length;
    this.current = Math.max(0, Math.min(this.current, classes.length - 2));
    this.change(
      {
        classes: classes.filter((_, i) => i !== k),
        drawings: drawings
          .filter((d) => d.label !== k)
          .map((d) => ({ ...d, label: d.label > k ? d.label - 1 : d.label })),
      },
      `Class “${name}” removed${n ? ` with its ${n} drawing${n === 1 ? '' : 's'}` : ''} (Undo brings it back).`,
    );
  }

  add() {
    const { classes, drawings } = this.state;
    if (!this.image) return this.say('Draw something on the pad first.', 'error');
    if (!classes.length) return this.say('Add a class first.', 'error');
    const k = Math.min(this.current, classes.length - 1);
    if (drawings.filter((d) => d.label === k).length >= MAX_PER_CLASS)
      return this.say(`“${classes[k]}” has ${MAX_PER_CLASS} drawings, the most a class may have.`, 'error');
    const image = Uint8Array.from(this.image, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    this.change({ classes, drawings: [...drawings, { label: k, image }] });
    const n = this.state.drawings.filter((d) => d.label === k).length;
    this.say(`Added to “${classes[k]}” (${n} drawing${n === 1 ? '' : 's'}).`);
    this.clearPad();
  }

  remove(index) {
    const { classes, drawings } = this.state;
    this.change(
      { classes, drawings: drawings.filter((_, i) => i !== index) },
      'Drawing deleted (Undo brings it back).',
    );
  }

  deleteAll() {
    if (!this.state.drawings.length) return;
    this.change({ classes: this.state.classes, drawings: [] }, 'All drawings deleted (Undo brings them back).');
  }

  undo() {
    const prev = this.history.pop();
    if (!prev) return this.say('Nothing to undo.');
    this.state = prev;
    this.current = Math.min(this.current, Math.max(0, prev.classes.length - 1));
    this.refresh();
    this.save();
    this.say('Undone.');
  }

  export() {
    let files;
    try {
      files = Lab.get('transfer').exportIdx(this.state, this.holdout);
    } catch (e) {
      return this.say(e.message, 'error');
    }
    for (const [name, data] of Object.entries(files))
      downloadBytes(typeof data === 'string' ? new TextEncoder().encode(data) : data, `drawings-${name}`);
    const n = this.state.classes.length;
    this.say(
      `Downloaded drawings-train-images.idx, -train-labels.idx, -test-images.idx, -test-labels.idx and -classes.txt. The CLI trains on them: cnn train --from pretrained.cnn --replace-head ${n} --images drawings-train-images.idx --labels drawings-train-labels.idx`,
    );
  }

  // What Run sends: the drawings, or nothing (the demonstration set) while there are none.
  input() {
    this.refresh(); // the held-out marks of the values about to run
    const { classes, drawings } = this.state;
    if (!drawings.length) return undefined;
    return { classes: classes.slice(), drawings: drawings.map((d) => ({ label: d.label, image: d.image.slice() })) };
  }

  // A run ended: its best model (a model file) classifies what is drawn next.
  async result(r) {
    if (!r.model) return;
    const best = r.runs.find((x) => x.key === r.best);
    try {
      await this.session.client.loadModel({ bytes: r.model, name: `transfer: ${best.label}` }, this.slot);
    } catch (e) {
      this.answer.textContent = `The trained model could not be loaded for drawing: ${e.message}`;
      return;
    }
    this.model = { classes: r.classes, label: SHORT[best.key], accuracy: best.accuracy };
    this.rows = buildBars(this.bars, r.classes);
    this.bars.classList.toggle(
      'named',
      r.classes.some((c) => c.length > 2),
    );
    this.showAnswer(null);
    if (this.image) this.classify();
  }

  refresh() {
    const { classes, drawings } = this.state;
    this.current = Math.min(this.current, Math.max(0, classes.length - 1));
    const counts = classes.map((_, k) => drawings.filter((d) => d.label === k).length);
    this.classList.replaceChildren(
      ...classes.map((c, k) =>
        el(
          'span',
          { class: 'tl-class' },
          el('button', {
            type: 'button',
            role: 'radio',
            'aria-checked': k === this.current ? 'true' : 'false',
            class: k === this.current ? 'on' : '',
            text: `${c} (${counts[k]})`,
            onclick: () => {
              this.current = k;
              this.refresh();
            },
          }),
          el('button', {
            type: 'button',
            class: 'tl-x',
            text: '×',
            title: `Remove the class “${c}”`,
            'aria-label': `Remove the class ${c}`,
            onclick: () => this.removeClass(k),
          }),
        ),
      ),
    );
    this.addBtn.disabled = !this.image || !classes.length;
    this.undoBtn.disabled = !this.history.length;
    this.exportBtn.disabled = !drawings.length;
    this.clearAllBtn.disabled = !drawings.length;
    const h = this.holdout;
    const held = Lab.get('transfer').split(drawings, h);
    const short = classes.filter((_, k) => counts[k] < h + 1);
    if (!drawings.length)
      this.summary.textContent = `No drawings yet: Run uses the demonstration set of generated letters. Draw 5 to 20 of each class (the last ${h} of each are held out).`;
    else
      this.summary.textContent =
        `${drawings.length} drawings in ${classes.length} classes: ${drawings.length - held.filter(Boolean).length} to train on, ${held.filter(Boolean).length} held out (each class's last ${h}, framed).` +
        (short.length
          ? ` ${short.map((c) => `“${c}”`).join(', ')} need${short.length === 1 ? 's' : ''} at least ${h + 1} drawings before Run.`
          : ' Run uses your drawings.');
    this.gallery.replaceChildren(
      ...classes.map((c, k) => {
        const items = [];
        drawings.forEach((d, i) => {
          if (d.label !== k) return;
          items.push(
            el(
              'figure',
              { class: `tl-item${held[i] ? ' held' : ''}` },
              thumb(d.image, `${c}${held[i] ? ', held out' : ''}`),
              el('button', {
                type: 'button',
                class: 'tl-x',
                text: '×',
                title: 'Delete this drawing',
                'aria-label': `Delete this drawing of ${c}`,
                onclick: () => this.remove(i),
              }),
            ),
          );
        });
        return el(
          'div',
          { class: 'tl-row' },
          el('span', { class: 'tl-rowname', text: c }),
          items.length
            ? el('div', { class: 'tl-items' }, ...items)
            : el('span', { class: 'muted', text: 'no drawings yet' }),
        );
      }),
    );
  }
}

export function setup(panel, opts) {
  const d = new Drawings(panel, opts);
  return { input: () => d.input(), result: (r) => d.result(r), drawings: d };
}

// ---- the result ----
function table(runs, current) {
  const t = el('table', { class: 'lab-table tl-table' });
  t.append(
    el(
      'tr',
      {},
      el('th', { text: 'Way of learning' }),
      el('th', { text: 'Held-out accuracy' }),
      el('th', { text: 'Training' }),
      el('th', { text: 'Time' }),
      el('th', { class: 'tl-wide', text: 'Weights trained' }),
    ),
  );
  for (const r of runs) {
    const bar = el(
      'span',
      { class: 'tl-bar' },
      el('span', { class: 'fill', style: `width: ${(100 * r.accuracy).toFixed(1)}%; --c: ${COLOR[r.key]}` }),
    );
    t.append(
      el(
        'tr',
        { 'data-method': r.key },
        el(
          'th',
          {},
          el('span', { class: 'tl-swatch', style: `--c: ${COLOR[r.key]}`, 'aria-hidden': 'true' }),
          el('span', { text: r.label }),
          r.tuned && r.tuned.length
            ? el('span', { class: 'tl-note', text: `trains ${r.tuned.join(', ')} + a new output layer` })
            : null,
          r.features
            ? el('span', {
                class: 'tl-note',
                text: `the ${r.features.size} values of ${r.features.layer}, standardized`,
              })
            : null,
        ),
        el('td', {}, el('span', { class: 'tl-acc' }, el('span', { text: pct(r.accuracy) }), bar)),
        el('td', { text: pct(r.train) }),
        el('td', { text: `${r.seconds.toFixed(2)} s` }),
        el('td', { class: 'tl-wide', text: int(r.trained) }),
      ),
    );
  }
  if (current)
    t.append(
      el(
        'tr',
        { class: 'tl-pending' },
        el('th', { text: current.label }),
        el('td', { colspan: 4, text: `training… pass ${current.curve.length}` }),
      ),
    );
  return t;
}

function heldGallery(result) {
  const { drawings, heldOut, classes, runs } = result;
  const held = drawings.map((d, i) => ({ ...d, i })).filter((d) => heldOut[d.i]);
  const box = el('div', { class: 'tl-heldgrid' });
  held.forEach((d, j) => {
    const marks = runs.map((r) => {
      const p = r.predicted[j];
      const ok = p === d.label;
      return el('span', {
        class: `tl-mark ${ok ? 'ok' : 'bad'}`,
        style: `--c: ${COLOR[r.key]}`,
        title: `${r.label}: ${classes[p]}${ok ? '' : ' (wrong)'}`,
        text: ok ? '✓' : classes[p],
      });
    });
    box.append(
      el(
        'figure',
        { class: 'tl-helditem', 'data-label': classes[d.label] },
        thumb(d.image, `held-out ${classes[d.label]}`),
        el('figcaption', {}, el('strong', { text: classes[d.label] }), ...marks),
      ),
    );
  });
  return box;
}

export function render(root, result, { settings = {} } = {}) {
  const s = result.settings || settings;
  const runs = result.runs || [];
  const current = result.current || null;
  const all = current ? [...runs, current] : runs;
  const parts = [];
  const src =
    result.source === 'demo'
      ? `the demonstration set (generated letters ${result.classes.join(', ')})`
      : `your drawings (${result.classes.join(', ')})`;
  parts.push(
    el(
      'section',
      { class: 'lab-panel' },
      el('h4', { text: `1. Three ways to learn ${src}` }),
      el('p', {
        class: 'muted tl-note-p',
        text: result.counts
          ? `${result.counts.train} drawings to learn from, ${result.counts.held} held out; ${s.epochs} passes each, Adam (learning rate ${s.lr}), batches of 8. Accuracy and time are this run's.`
          : '',
      }),
      el('div', { class: 'tl-scroll' }, table(runs, current)),
    ),
  );
  const series = all
    .filter((r) => r.curve && r.curve.length)
    .map((r) => ({ label: r.label, color: COLOR[r.key], points: r.curve.map((c) => [c.epoch, 100 * c.val]) }));
  if (series.length)
    parts.push(
      el(
        'section',
        { class: 'lab-panel' },
        el('h4', { text: '2. Held-out accuracy, pass by pass' }),
        lineChart(series, {
          xLabel: 'pass over the training drawings',
          yLabel: 'held-out accuracy %',
          height: 190,
          yMax: 100,
        }),
      ),
    );
  if (!current && result.drawings && result.heldOut && runs.length === 3) {
    const best = runs.find((r) => r.key === result.best);
    parts.push(
      el(
        'section',
        { class: 'lab-panel' },
        el('h4', { text: '3. The held-out drawings and what each way says' }),
        el(
          'p',
          { class: 'muted tl-note-p' },
          el('span', { text: 'Under each drawing: ' }),
          ...runs.map((r) =>
            el('span', { class: 'tl-key', style: `--c: ${COLOR[r.key]}`, text: SHORT[r.key].replace('-', ' ') }),
          ),
          el('span', { text: ' — ✓ right, or the class it said.' }),
        ),
        heldGallery(result),
        best
          ? el('p', {
              class: 'tl-best',
              text: `The best here, ${best.label.toLowerCase()} (${pct(best.accuracy)}), now classifies what you draw on the pad above.`,
            })
          : null,
      ),
    );
  }
  root.replaceChildren(...parts);
}
