// One Lab experiment on screen, the same in the app's Lab section and in <cnn-widget mode="lab">:
// its title and the notes' topic, a few sentences of explanation, its settings (from the
// experiment's table, lib/lab/<id>.js), Run and Stop, what is happening, the experiment's own view
// (views/lab/<id>.js) and its claims, each with the number measured in this run and whether it
// holds. Data in (the experiment, settings), events out (onResult(result)).
import { el } from '../../lib/dom.js';
import { Lab, runLab, stopLab } from '../../lib/lab/index.js';
import * as convArithmetic from './conv-arithmetic.js';
import * as init from './init.js';
import * as optimizers from './optimizers.js';
import * as activations from './activations.js';
import * as babysit from './babysit.js';
import * as overfit from './overfit.js';
import * as lr from './lr.js';
import * as gradcheck from './gradcheck.js';
import * as search from './search.js';
import * as transfer from './transfer.js';
import * as architectures from './architectures.js';
import * as ensemble from './ensemble.js';
import * as calibration from './calibration.js';

// The views of the experiments: render(root, result, {partial, settings}) draws a (partial) result.
// A view may also export setup(panel, {session, lab}) -> {input(), result(r)}: a panel of its own
// above Run (the transfer experiment's drawings), the data Run sends with the settings (input()) and
// what it does with a result (result(r)).
const VIEWS = {
  'conv-arithmetic': convArithmetic,
  activations,
  babysit,
  overfit,
  lr,
  init,
  optimizers,
  gradcheck,
  search,
  transfer,
  architectures,
  ensemble,
  calibration,
};

export class LabView {
  // opts: {session, settings (initial values), onResult(result), onError(message)}
  constructor(root, id, { session, settings = {}, onResult, onError } = {}) {
    this.root = root;
    this.exp = Lab.get(id);
    this.session = session;
    this.onResult = onResult || (() => {});
    this.onError = onError || (() => {});
    this.view = VIEWS[id];
    this.running = null;
    const { settings: s } = Lab.resolveSettings(id, settings);
    this.values = s;
    this.build();
  }

  get settings() {
    return { ...this.values };
  }

  build() {
    const exp = this.exp;
    this.form = el('form', { class: 'lab-settings', novalidate: true, onsubmit: (e) => e.preventDefault() });
    for (const s of exp.settings) this.form.append(this.field(s));
    this.runBtn = el('button', {
      type: 'button',
      class: 'primary',
      text: 'Run',
      onclick: () => this.run().catch(() => {}),
    });
    this.stopBtn = el('button', { type: 'button', text: 'Stop', disabled: true, onclick: () => stopLab(this.session) });
    this.status = el('p', {
      class: 'msg lab-status',
      role: 'status',
      'aria-live': 'polite',
      text: 'Set the values, then Run.',
    });
    this.out = el('div', { class: 'lab-out' });
    this.claims = el('ul', { class: 'lab-claims', 'aria-label': 'What this run shows' });
    this.panel = null;
    if (this.view && this.view.setup) {
      this.panel = el('div', { class: 'lab-input' });
      this.extra = this.view.setup(this.panel, { session: this.session, lab: this });
    }
    this.root.replaceChildren(
      el(
        'header',
        { class: 'lab-head' },
        el('h3', { text: exp.title }),
        el('p', { class: 'muted lab-topic', text: `In the notes: ${exp.topic}` }),
      ),
      el('div', { class: 'lab-intro' }, ...exp.intro.map((t) => el('p', { text: t }))),
      this.form,
      ...(this.panel ? [this.panel] : []), // (replaceChildren would write a null as the text "null")
      el('div', { class: 'row lab-run' }, this.runBtn, this.stopBtn, this.status),
      this.claims,
      this.out,
    );
  }

  field(s) {
    const id = `lab-${this.exp.id}-${s.key}`;
    let input;
    if (s.type === 'select') {
      input = el('select', { id, 'data-key': s.key });
      for (const [v, label] of s.options) input.append(el('option', { value: String(v), text: label }));
      input.value = String(this.values[s.key]);
    } else if (s.type === 'bool') {
      input = el('input', { id, type: 'checkbox', 'data-key': s.key });
      input.checked = !!this.values[s.key];
    } else if (s.slider) {
      // a slider with its value beside it; experiments with a quick part (exp.quick) re-run it live
      input = el('input', {
        id,
        type: 'range',
        'data-key': s.key,
        min: s.slider.min,
        max: s.slider.max,
        step: s.slider.step,
        value: String(this.values[s.key]),
      });
      const shown = el('output', { for: id, text: String(this.values[s.key]) });
      input.addEventListener('input', () => {
        shown.textContent = input.value;
        this.values[s.key] = Number(input.value);
        if (!this.exp.quick) return;
        clearTimeout(this.quickTimer);
        this.quickTimer = setTimeout(() => this.quickRun(), 250);
      });
      return el(
        'label',
        { class: 'field slider', for: id, title: s.help ? `${s.label}: ${s.help}` : s.label },
        el('span', { text: s.label }),
        el('span', { class: 'slider-row' }, input, shown),
      );
    } else {
      input = el('input', {
        id,
        type: 'number',
        'data-key': s.key,
        min: s.min,
        max: s.max,
        step: s.type === 'int' ? '1' : 'any',
        value: String(this.values[s.key]),
      });
    }
    input.addEventListener('change', () => {
      const raw = s.type === 'bool' ? input.checked : input.value;
      const { settings, problems } = Lab.resolveSettings(this.exp.id, { [s.key]: raw });
      input.classList.toggle('invalid', problems.length > 0);
      input.setAttribute('aria-invalid', problems.length ? 'true' : 'false');
      if (problems.length) this.say(problems[0], 'error');
      else {
        this.values[s.key] = settings[s.key];
        this.say('Changed: Run to see it happen.');
      }
    });
    return el(
      'label',
      { class: 'field', for: id, title: s.help ? `${s.label}: ${s.help}` : s.label },
      el('span', { text: s.label }),
      input,
    );
  }

  say(text, kind = '') {
    this.status.textContent = text;
    this.status.className = `msg lab-status ${kind}`;
  }

  setBusy(on) {
    this.runBtn.disabled = on;
    this.stopBtn.disabled = !on;
    for (const x of this.form.querySelectorAll('input, select')) x.disabled = on;
    this.root.classList.toggle('running', on);
  }

  // Runs the experiment with the form's values; resolves to the result (or null when it failed).
  async run(settings) {
    if (this.running) return this.running;
    if (settings) {
      // only the values given replace the form's (the others stay as set: attributes, the student)
      const given = Lab.resolveSettings(this.exp.id, settings).settings;
      for (const k of Object.keys(settings)) if (k in given) this.values[k] = given[k];
    }
    this.sync();
    this.setBusy(true);
    this.say('Running in the engine…');
    this.claims.replaceChildren(); // the last run's claims are not this run's
    const t0 = performance.now();
    const input = this.extra && this.extra.input ? this.extra.input() : undefined;
    this.running = runLab(this.session, this.exp.id, this.values, {
      input,
      onUpdate: (partial) => {
        if (partial.status) this.say(partial.status);
        if (this.view) this.view.render(this.out, partial, { partial: true, settings: this.values });
      },
    })
      .then((r) => {
        const s = (performance.now() - t0) / 1000;
        const held = r.claims.filter((c) => c.holds).length;
        this.say(`Done in ${s.toFixed(1)} s: ${held} of ${r.claims.length} claims hold in this run.`, 'ok');
        this.showClaims(r.claims);
        if (this.view) this.view.render(this.out, r, { partial: false, settings: this.values });
        if (this.extra && this.extra.result) this.extra.result(r);
        r.seconds = s;
        this.onResult(r);
        return r;
      })
      .catch((e) => {
        this.say(e.message, 'error');
        this.onError(e.message);
        throw e;
      })
      .finally(() => {
        this.running = null;
        this.setBusy(false);
      });
    return this.running;
  }

  // The experiment's quick part with the form's values (exp.quick: the settings that make it quick),
  // for sliders: the view redraws, the claims of that part show; Run runs the whole.
  async quickRun() {
    if (this.running || this.quickBusy) {
      this.quickAgain = true;
      return;
    }
    this.quickBusy = true;
    try {
      const r = await runLab(this.session, this.exp.id, { ...this.values, ...this.exp.quick });
      this.showClaims(r.claims);
      if (this.view) this.view.render(this.out, r, { partial: false, settings: this.values });
      this.say('Updated with the slider’s value (Run for the whole experiment).');
    } catch (e) {
      this.say(e.message, 'error');
    } finally {
      this.quickBusy = false;
      if (this.quickAgain) {
        this.quickAgain = false;
        this.quickRun();
      }
    }
  }

  // The form shows the values about to run.
  sync() {
    for (const x of this.form.querySelectorAll('[data-key]')) {
      const v = this.values[x.dataset.key];
      if (x.type === 'checkbox') x.checked = !!v;
      else x.value = String(v);
      if (x.type === 'range' && x.nextElementSibling) x.nextElementSibling.textContent = String(v);
    }
  }

  showClaims(claims) {
    this.claims.replaceChildren(
      ...claims.map((c) =>
        el(
          'li',
          { class: c.holds ? 'holds' : 'fails', 'data-claim': c.id },
          el('span', { class: 'mark', 'aria-hidden': 'true', text: c.holds ? '✓' : '✗' }),
          el('span', { class: 'claim-text', text: c.text }),
          el('span', { class: 'claim-verdict', text: c.holds ? 'holds' : 'does not hold in this run' }),
        ),
      ),
    );
  }
}
