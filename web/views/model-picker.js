// The app's one model picker and what Start trains. The picker lists the shipped trained model, the
// zoo's architectures ("untrained (random weights)") and the models saved in the browser, and
// shows the current model under the label the session gives it. "Start from" says what Start
// trains: a new small network from random weights by default when the current model is trained
// (never silently the trained model), a new copy of its architecture, or its trained weights
// (fine-tuning) — each an explicit, labelled choice. Data in (labels, keys), events out (onPick).
const UNTRAINED = 'untrained (random weights)';

export class ModelPicker {
  // first: {name, label} of the network a first training starts from (experiment.FIRST_MODEL)
  constructor({ select, trainFrom, note }, first) {
    this.select = select;
    this.trainFrom = trainFrom;
    this.note = note;
    this.first = first;
    this.key = ''; // the current model's key
    this.next = null; // the key the next model shown is loaded under
    trainFrom.addEventListener('change', () => this.showNote());
  }

  // The choices: the zoo's index (models/index.json) and the keys of the saved models ("model:<name>").
  fill(zoo, savedKeys = []) {
    const sel = this.select;
    sel.replaceChildren();
    if (zoo.pretrained) sel.append(new Option(zoo.pretrained.label, 'pretrained'));
    const g = document.createElement('optgroup');
    g.label = `Model zoo — ${UNTRAINED}`;
    for (const z of zoo.zoo) g.append(new Option(`${z.label} — ${UNTRAINED}`, `zoo:${z.name}`));
    sel.append(g);
    if (savedKeys.length) {
      const saved = document.createElement('optgroup');
      saved.label = 'Saved in this browser';
      saved.id = 'saved-group';
      for (const k of savedKeys) saved.append(new Option(`${k.slice(6)} (saved)`, k));
      sel.append(saved);
    }
    if (this.key) {
      this.next = this.key;
      this.show(this.label, this.trained);
    }
  }

  // The next model shown comes under `key` (a picker key, or a new one for a model made here).
  expect(key) {
    this.next = key;
  }

  // The current model, as the session names it.
  show(label, trained) {
    this.label = label;
    this.trained = trained;
    this.key = this.next || `loaded:${Date.now()}`; // no key expected: a model made here
    this.next = null;
    let opt = [...this.select.options].find((o) => o.value === this.key);
    if (!opt) this.select.append((opt = new Option(label, this.key)));
    opt.textContent = label;
    this.select.value = this.key;
    this.fillTrainFrom(label, trained);
  }

  // The picker shows the current model again (a pick that failed or was refused).
  revert() {
    this.select.value = this.key;
  }

  onPick(fn) {
    this.select.addEventListener('change', () => fn(this.select.value));
  }

  // What Start trains: {model} for a new network ('<zoo name>' or 'fresh'), or {fineTune: true}.
  get start() {
    const v = this.trainFrom.value;
    if (v.startsWith('new:')) return { model: v.slice(4) };
    if (v === 'fresh') return { model: 'fresh' };
    return { fineTune: v === 'finetune' };
  }

  fillTrainFrom(label, trained) {
    const name = label.replace(/ — .*$/, '').replace(/ \(.*\)$/, '');
    const options = trained
      ? [
          [`new:${this.first.name}`, `new ${this.first.label} — ${UNTRAINED}`],
          ['fresh', `new ${name} — ${UNTRAINED}`],
          ['finetune', `fine-tune the trained ${name}`],
        ]
      : [['current', `${name} — ${UNTRAINED}`]];
    this.trainFrom.replaceChildren(...options.map(([v, t]) => new Option(t, v)));
    this.showNote();
  }

  showNote() {
    const v = this.trainFrom.value;
    this.note.textContent = v.startsWith('new:')
      ? `Start trains a new ${this.first.label} from random weights: it learns visibly within a minute. It becomes the current model (for drawing too).`
      : v === 'fresh'
        ? 'Start trains a new copy of the current architecture from random weights.'
        : v === 'finetune'
          ? 'Start continues training the trained weights of the current model (fine-tuning).'
          : 'Start trains the current model from its random weights.';
  }
}
