// The settings form, rendered from the one settings table (lib/experiment.js HYPER): the app's
// Train card and the widget's form are both made here, so a label, a tooltip, a range, an option or
// a default is written once. The controls' ids are the keys (experiment.readForm / applyToForm read
// and fill them). Text only: nothing here is parsed as HTML.
import { HYPER } from './experiment.js';

// One labelled control for the setting `key`, showing its default.
export function settingField(key, doc = document) {
  const h = HYPER[key];
  if (!h) throw new Error(`unknown setting '${key}'`);
  const label = doc.createElement('label');
  label.className = 'field';
  label.title = h.tip;
  const text = doc.createElement('span');
  text.textContent = h.title;
  let control;
  if (h.kind === 'enum') {
    control = doc.createElement('select');
    for (const v of h.values) control.append(new Option(h.options ? h.options[v] : v, v));
  } else {
    control = doc.createElement('input');
    control.type = 'number';
    control.min = String(h.min);
    if (h.kind === 'int' && h.max < 1e6) control.max = String(h.max);
    control.step = h.kind === 'int' ? String(h.step || 1) : 'any';
  }
  control.id = key;
  control.name = key;
  control.title = h.tip;
  control.value = String(h.def);
  label.append(text, control);
  return label;
}

// The fields of `keys`, appended to `container` in that order.
export function renderSettings(container, keys) {
  const doc = container.ownerDocument || document;
  container.append(...keys.map((k) => settingField(k, doc)));
  return container;
}

// Every element with data-settings="key,key,...": filled with those fields (the app's page).
export function renderAllSettings(root) {
  for (const el of root.querySelectorAll('[data-settings]')) {
    el.replaceChildren();
    renderSettings(
      el,
      el.dataset.settings
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
  }
}
