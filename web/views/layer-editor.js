// The layer editor: a model's layers as a list a student edits without JSON — add, remove, move up
// and down, rename, and a form field for each setting — with every layer's output shape, parameters
// and MACs as the engine computes them, updated while typing, and the engine's message on the layer
// where a configuration does not fit (the notes' output-size rule beside it). Data in
// (setModel(desc)), events out (onValid(desc, summary) for each valid edit); the engine judges every
// edit through `inspect(desc)` (the worker's inspectModel: it builds the description and frees it).
import { el } from '../lib/dom.js';
import { fmtInt, fmtCompact } from '../lib/format.js';
import * as E from '../lib/model-edit.js';

const shapeText = (s) => (s ? s.join('×') : '?');
const KIND_NAMES = {
  conv2d: 'convolution',
  depthwise_conv2d: 'depthwise convolution',
  maxpool2d: 'max pooling',
  avgpool2d: 'average pooling',
  global_avgpool: 'global average pooling',
  dense: 'fully connected',
  flatten: 'flatten',
  relu: 'ReLU',
  leaky_relu: 'leaky ReLU',
  elu: 'ELU',
  gelu: 'GELU',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  prelu: 'PReLU',
  maxout: 'maxout',
  batchnorm: 'batch norm',
  layernorm: 'layer norm',
  groupnorm: 'group norm',
  lrn: 'local response norm',
  dropout: 'dropout',
  add: 'add (residual)',
  concat: 'concatenate',
};
export const kindName = (type) => KIND_NAMES[type] || type;
const numbersCell = () =>
  el(
    'span',
    { class: 'layer-numbers' },
    el('span', { class: 'layer-shape' }),
    el('span', { class: 'layer-params' }),
    el('span', { class: 'layer-macs' }),
  );

// The notes' rule beside the engine's message when a window does not fit its input.
function explainError(message) {
  if (/larger than the (padded )?input/i.test(message))
    return 'The output size is (W − F + 2P)/S + 1 and must be at least 1: use a smaller filter or window, add padding, or remove a pooling layer before this one.';
  return '';
}

export class LayerEditor {
  constructor(root, { inspect, onValid }) {
    this.root = root;
    this.inspect = inspect;
    this.onValid = onValid || (() => {});
    this.desc = null;
    this.summary = null; // the engine's summary of the last valid edit
    this.seq = 0; // the newest edit's number: older answers are dropped
    this.timer = 0;
    this.enabled = true;
    this.note = el('p', { class: 'muted note editor-note' });
    this.list = el('ol', { class: 'layer-list', 'aria-label': 'Layers of the model, from input to output' });
    this.totals = el('p', { class: 'editor-totals', role: 'status', 'aria-live': 'polite' });
    this.addType = el('select', { 'aria-label': 'Kind of layer to add', title: 'The kind of layer to add' });
    for (const g of E.ADD_GROUPS) {
      const og = el('optgroup', { label: g.label });
      for (const t of g.types) og.append(el('option', { value: t, text: kindName(t) }));
      this.addType.append(og);
    }
    this.addAfter = el('select', { 'aria-label': 'Add after this layer', title: 'Where the new layer goes' });
    this.addBtn = el('button', { type: 'button', text: 'Add layer', onclick: () => this.add() });
    this.addRow = el(
      'div',
      { class: 'row add-row' },
      el('label', { class: 'field' }, 'Add a', this.addType),
      el('label', { class: 'field' }, 'after', this.addAfter),
      this.addBtn,
    );
    root.replaceChildren(this.note, this.list, this.addRow, this.totals);
  }

  // A model to edit (its description as the engine wrote it); `trained`: its weights are trained
  // (editing makes a new network from random weights).
  setModel(desc, { trained = false } = {}) {
    this.desc = JSON.parse(JSON.stringify(desc));
    this.trained = trained;
    this.summary = null;
    this.render();
    this.check(false);
  }

  setEnabled(on) {
    this.enabled = on;
    for (const e of this.root.querySelectorAll('input, select, button')) e.disabled = !on || e.dataset.off === '1';
  }

  // ---- edits ----
  edit(next, { structure = true } = {}) {
    this.desc = next;
    if (structure) this.render();
    clearTimeout(this.timer);
    this.pending(true);
    this.timer = setTimeout(() => this.check(true), structure ? 0 : 200);
  }

  add() {
    const after = Number(this.addAfter.value);
    this.edit(E.insertLayer(this.desc, after + 1, this.addType.value));
    const row = this.list.children[after + 2]; // the input row, then the layers
    if (row) row.querySelector('input')?.focus();
  }

  // ---- the engine's answer ----
  async check(changed) {
    const seq = ++this.seq;
    const desc = this.desc;
    let r;
    try {
      r = await this.inspect(desc);
    } catch (e) {
      if (e.name === 'AbortError') return; // replaced by a newer edit's request
      r = { ok: false, error: e.message, layer: null };
    }
    if (seq !== this.seq) return; // a newer edit is on its way
    this.pending(false);
    this.showAnswer(r);
    if (r.ok) {
      this.summary = r;
      if (changed) this.onValid(desc, r);
    }
  }

  pending(on) {
    this.root.classList.toggle('pending', on);
  }

  showAnswer(r) {
    const rows = [...this.list.children];
    for (const row of rows) {
      row.classList.remove('bad');
      row.querySelector('.layer-error')?.replaceChildren();
    }
    if (r.ok) {
      const layers = r.layers.filter((l) => l.type !== 'input');
      const input = r.layers.find((l) => l.type === 'input');
      if (input) this.numbers(rows[0], input);
      layers.forEach((l, i) => rows[i + 1] && this.numbers(rows[i + 1], l));
      this.totals.className = 'editor-totals ok';
      this.totals.textContent = `${fmtInt(r.total_params)} parameters · ${fmtCompact(r.total_macs)} MACs per image`;
      return;
    }
    this.totals.className = 'editor-totals error';
    const at = r.layer === null || r.layer === undefined ? -1 : r.layer;
    const row = at >= 0 ? rows[at + 1] : null;
    const why = explainError(r.error);
    this.totals.textContent = `Does not fit: ${r.error}${why ? ` ${why}` : ''}`;
    for (const later of rows.slice(at + 1))
      for (const c of later.querySelectorAll('.layer-numbers > span')) c.textContent = '—';
    if (row) {
      row.classList.add('bad');
      row
        .querySelector('.layer-error')
        .replaceChildren(el('span', { text: r.error }), why ? el('span', { class: 'muted', text: ` ${why}` }) : null);
    }
  }

  numbers(row, l) {
    row.querySelector('.layer-shape').textContent = shapeText(l.shape);
    row.querySelector('.layer-params').textContent = l.type === 'input' ? '' : `${fmtInt(l.params)} params`;
    row.querySelector('.layer-macs').textContent = l.type === 'input' ? '' : `${fmtCompact(l.macs)} MACs`;
    const note = row.querySelector('.layer-note');
    if (note) note.textContent = l.note ? `Note: this layer ${l.note}` : '';
    if (l.config && row.dataset.filled !== '1' && row.dataset.index !== undefined) {
      // the engine's defaults, once, for the settings the description leaves out
      row.dataset.filled = '1';
      this.fillDefaults(row, Number(row.dataset.index), l.config);
    }
  }

  // ---- rendering ----
  render() {
    const d = this.desc;
    const layers = d.layers || [];
    const branches = E.hasBranches(d);
    this.note.textContent =
      (this.trained
        ? 'Editing builds a new network from random weights (save a model you trained here first to keep it). '
        : 'Each change builds the network at once: the Network card shows it, and Start trains it. ') +
      (branches
        ? 'This network has branches (layers that name their inputs): moving or removing a layer can cut one, and the engine says where.'
        : '');
    const input = el(
      'li',
      { class: 'layer-row input-row' },
      el('span', { class: 'layer-pos', text: '0' }),
      el(
        'span',
        { class: 'layer-title' },
        el('strong', { text: 'input' }),
        el('span', { class: 'muted', text: ` ${shapeText(d.input)} image` }),
      ),
      el('span', { class: 'layer-settings' }),
      numbersCell(),
      el('span', { class: 'layer-actions' }),
    );
    const rows = layers.map((l, i) => this.row(l, i, layers.length));
    this.list.replaceChildren(input, ...rows);
    const keep = this.addAfter.value;
    this.addAfter.replaceChildren(
      el('option', { value: '-1', text: 'the input' }),
      ...layers.map((l, i) => el('option', { value: String(i), text: `${i + 1} ${l.name || kindName(l.type)}` })),
    );
    // by default before the last layer, so that the classifier stays last
    const def = String(Math.max(-1, layers.length - 2));
    this.addAfter.value = keep !== '' && Number(keep) < layers.length ? keep : def;
    if (this.summary === null) this.pending(true);
    this.setEnabled(this.enabled);
  }

  row(l, i, n) {
    const settings = el('span', { class: 'layer-settings' });
    for (const f of E.layerFields(l, {})) settings.append(this.field(i, f));
    const name = el('input', {
      type: 'text',
      class: 'layer-name',
      value: l.name || '',
      'aria-label': `Name of layer ${i + 1}`,
      title: "The layer's name (other layers name it as their input)",
      spellcheck: 'false',
      onchange: (e) => this.edit(E.renameLayer(this.desc, i, e.target.value.trim() || l.name), { structure: false }),
    });
    const btn = (text, label, fn, off) =>
      el('button', {
        type: 'button',
        class: 'icon',
        text,
        title: label,
        'aria-label': `${label}: layer ${i + 1}`,
        onclick: fn,
        'data-off': off ? '1' : '0',
      });
    return el(
      'li',
      { class: 'layer-row', 'data-index': String(i) },
      el('span', { class: 'layer-pos', text: String(i + 1) }),
      el('span', { class: 'layer-title' }, name, el('span', { class: 'layer-kind muted', text: kindName(l.type) })),
      settings,
      numbersCell(),
      el(
        'span',
        { class: 'layer-actions' },
        btn('↑', 'Move up', () => this.edit(E.moveLayer(this.desc, i, -1)), i === 0),
        btn('↓', 'Move down', () => this.edit(E.moveLayer(this.desc, i, 1)), i === n - 1),
        btn('✕', 'Remove', () => this.edit(E.removeLayer(this.desc, i)), n === 1),
      ),
      el('span', { class: 'layer-note muted' }),
      el('span', { class: 'layer-error error' }),
    );
  }

  // The engine's completed description fills the settings the description leaves out (bias, stride…).
  fillDefaults(row, i, config) {
    const l = this.desc.layers[i];
    if (!l) return;
    const box = row.querySelector('.layer-settings');
    const have = new Set([...box.querySelectorAll('[data-key]')].map((x) => x.dataset.key));
    for (const f of E.layerFields(l, config)) if (!have.has(f.key)) box.append(this.field(i, f));
    this.setEnabled(this.enabled);
  }

  field(i, f) {
    const set = (v) => this.edit(E.setField(this.desc, i, f.key, v), { structure: false });
    const num = (value, label, read) =>
      el('input', {
        type: 'number',
        value: String(value),
        min: f.min,
        step: f.kind === 'num' ? 'any' : '1',
        'aria-label': label,
        oninput: read,
      });
    const wrap = el('label', {
      class: 'setting',
      'data-key': f.key,
      title: f.help ? `${f.label}: ${f.help}` : f.label,
    });
    wrap.append(el('span', { class: 'setting-label', text: f.label }));
    if (f.kind === 'bool') {
      const box = el('input', { type: 'checkbox', onchange: (e) => set(e.target.checked) });
      box.checked = f.value;
      wrap.prepend(box);
      return wrap;
    }
    if (f.kind === 'pair') {
      const [a, b] = [0, 1].map((k) =>
        num(f.value[k], `${f.label} ${k ? 'width' : 'height'}, layer ${i + 1}`, () =>
          set([a, b].map((x) => Number(x.value))),
        ),
      );
      wrap.append(el('span', { class: 'pair' }, a, el('span', { class: 'muted', text: '×' }), b));
      return wrap;
    }
    const x = num(f.value, `${f.label}, layer ${i + 1}`, () => set(Number(x.value)));
    wrap.append(x);
    return wrap;
  }
}
