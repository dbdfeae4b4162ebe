// Wires the page to the engine worker. The views take plain data; only engine-client.js talks to the worker.
import { EngineClient } from './engine-client.js';

const $ = (sel) => document.querySelector(sel);
const fmt = new Intl.NumberFormat('en-US');

function showError(msg) {
  const s = $('#status');
  s.textContent = msg;
  s.classList.add('error');
}

function renderBuildInfo({ variant, buildInfo }) {
  const dl = $('#build-info');
  const rows = [
    ['Build', variant === 'mt' ? 'WebAssembly SIMD + threads' : 'WebAssembly SIMD, single-threaded'],
    ['Cross-origin isolated', self.crossOriginIsolated ? 'yes' : 'no'],
    ['Engine version', buildInfo.version],
  ];
  if (buildInfo.threads) rows.push(['Threads available', String(buildInfo.hardware_concurrency)]);
  dl.replaceChildren(...rows.flatMap(([k, v]) => {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = v;
    return [dt, dd];
  }));
}

function renderSummary(summary) {
  $('#model-name').textContent = `“${summary.name}”: ${summary.layers.length - 1} layers`;
  const body = $('#summary tbody');
  body.replaceChildren(...summary.layers.map((l) => {
    const tr = document.createElement('tr');
    for (const [v, cls] of [[l.name], [l.type], [`${l.shape.join('×')}`], [fmt.format(l.params), 'num'], [fmt.format(l.macs), 'num']]) {
      const td = document.createElement('td');
      td.textContent = v;
      if (cls) td.className = cls;
      tr.append(td);
    }
    return tr;
  }));
  const foot = $('#summary tfoot');
  foot.innerHTML = '';
  const tr = foot.insertRow();
  tr.insertCell().textContent = 'Total';
  tr.insertCell();
  tr.insertCell();
  const p = tr.insertCell();
  p.className = 'num';
  p.textContent = fmt.format(summary.total_params);
  const m = tr.insertCell();
  m.className = 'num';
  m.textContent = fmt.format(summary.total_macs);
}

function softmax(v) {
  const mx = Math.max(...v);
  const e = v.map((x) => Math.exp(x - mx));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

function renderProbs(logits) {
  const probs = softmax(Array.from(logits));
  $('#probs').replaceChildren(...probs.map((p, i) => {
    const li = document.createElement('li');
    li.innerHTML = '<span class="cls"></span><span class="bar"></span><span class="val"></span>';
    li.querySelector('.cls').textContent = String(i);
    li.querySelector('.bar').style.width = `${(100 * p).toFixed(1)}%`;
    li.querySelector('.val').textContent = `${(100 * p).toFixed(1)} %`;
    return li;
  }));
}

async function main() {
  const engine = new EngineClient();
  try {
    const info = await engine.init();
    renderBuildInfo(info);
    const desc = await (await fetch('models/convnetjs.json')).text();
    const { summary } = await engine.createModel(desc);
    renderSummary(summary);
    // A vertical stroke, like a drawn "1".
    const img = new Float32Array(28 * 28);
    for (let r = 5; r < 23; r++) for (let c = 13; c < 16; c++) img[r * 28 + c] = 1;
    const { output } = await engine.forward(img, 1);
    renderProbs(output);
    $('#status').textContent = 'Engine ready.';
    document.body.dataset.ready = 'true';
  } catch (e) {
    showError(`The engine could not start: ${e.message}`);
  }
}

main();
