// embed.html's script: the URL's query and hash become the widget's attributes (as data: set with
// setAttribute, checked by the widget, shown only as text), then the widget module loads.
const NAMES = [
  'mode',
  'model',
  'data',
  'panels',
  'size',
  'theme',
  'width',
  'height',
  'experiment',
  'optimizer',
  'lr',
  'schedule',
  'batch',
  'epochs',
  'iterations',
  'seed',
  'augment',
  'l1',
  'l2',
  'validation',
];

function configure(w) {
  const q = new URLSearchParams(location.search);
  for (const name of NAMES) {
    const v = q.get(name);
    if (v !== null) w.setAttribute(name, v.slice(0, 60000));
  }
  for (const part of location.hash.replace(/^#/, '').split('&')) {
    if (part.startsWith('exp=')) w.setAttribute('experiment', part.slice(4, 60004));
  }
}

const w = document.getElementById('widget');
configure(w);
// A new experiment pasted into the address bar (only the hash changes): start again from it.
addEventListener('hashchange', () => location.reload());
await import('./cnn-widget.js');
