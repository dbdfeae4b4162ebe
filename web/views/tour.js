// "Start here": a short tour of the app on the first visit (five steps, each pointing at a part of
// the page), skippable, remembered in localStorage so that it does not come back; the header's
// "Start here" button replays it. Its styles come with it.
export const TOUR_KEY = 'cnn-tour-done';

export const STEPS = [
  {
    target: '#pad',
    title: '1. Draw a digit',
    text: 'Draw any digit from 0 to 9 in this box with the mouse, a finger or a pen. The network answers at once: its top guess and the probability of each of the ten classes.',
  },
  {
    target: '#net-diagram',
    title: '2. Look inside',
    text: 'Each column is one layer, left to right, with its feature maps for your drawing. Click a layer to see what it computes — its formula with its own numbers — then click a pixel of a map to see the sum that produced it.',
  },
  {
    target: '#start',
    title: '3. Train your own network',
    text: 'Start trains a new network from random weights on MNIST, right here in your browser. The loss falls within seconds; an accuracy point and a confusion matrix follow within a minute.',
  },
  {
    target: '#net-card',
    title: '4. Watch it learn',
    text: "While it trains, the maps, the first layer's filters (in its column) and your drawing's probabilities are redrawn about once a second: the filters turn from noise into strokes, the probabilities sharpen.",
  },
  {
    target: '.help-links',
    title: '5. Go further',
    text: 'The sample lesson explains convolution, pooling and training step by step with live widgets. “Start here” replays this tour.',
    link: { href: 'course.html', text: 'Open the sample lesson' },
  },
];

const CSS = `
.help-links { margin: 0.3rem 0 0; font-size: 0.9rem; }
button.linkish { background: none; border: 0; padding: 0; color: var(--accent); text-decoration: underline; cursor: pointer; }
.tour { position: absolute; z-index: 50; max-width: min(22rem, calc(100vw - 1.5rem)); background: var(--card); color: var(--fg);
  border: 2px solid var(--accent); border-radius: 10px; padding: 0.8rem 1rem; box-shadow: 0 8px 28px rgba(0,0,0,0.25); }
.tour h3 { margin: 0 0 0.35rem; font-size: 1.05rem; }
.tour p { margin: 0 0 0.6rem; }
.tour .tour-row { display: flex; gap: 0.5rem; align-items: center; justify-content: space-between; flex-wrap: wrap; }
.tour .tour-count { color: var(--muted); font-size: 0.85rem; }
.tour-target { outline: 3px solid var(--accent) !important; outline-offset: 3px; border-radius: 6px; }
`;

function injectCss() {
  if (document.getElementById('tour-css')) return;
  const st = document.createElement('style');
  st.id = 'tour-css';
  st.textContent = CSS;
  document.head.append(st);
}

function seen() {
  try {
    return localStorage.getItem(TOUR_KEY) === '1';
  } catch (e) {
    return true; // no storage: never force it on every visit
  }
}

function remember() {
  try {
    localStorage.setItem(TOUR_KEY, '1');
  } catch (e) {
    /* storage refused: the tour may come back */
  }
}

let current = null;

// Shows the tour (`force`: even if it was seen). Resolves when it is closed.
export function startTour({ force = false, steps = STEPS } = {}) {
  injectCss();
  if (current) current.close();
  if (!force && seen()) return Promise.resolve(false);
  return new Promise((resolve) => {
    const box = document.createElement('div');
    box.className = 'tour';
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'false');
    box.setAttribute('aria-labelledby', 'tour-title');
    let i = 0;
    let target = null;
    const close = () => {
      remember();
      if (target) target.classList.remove('tour-target');
      box.remove();
      removeEventListener('resize', place);
      current = null;
      resolve(true);
    };
    const place = () => {
      if (!target) return;
      const r = target.getBoundingClientRect();
      const w = box.offsetWidth;
      const left = Math.max(8, Math.min(r.left + scrollX, scrollX + document.documentElement.clientWidth - w - 8));
      // Below the target when it fits in the viewport, else over its top part.
      const below = r.bottom + 10 + box.offsetHeight < innerHeight;
      const top = below ? r.bottom + scrollY + 10 : Math.max(scrollY + 8, r.top + scrollY + 12);
      box.style.left = `${left}px`;
      box.style.top = `${top}px`;
    };
    const show = () => {
      const s = steps[i];
      if (target) target.classList.remove('tour-target');
      target = document.querySelector(s.target);
      const title = document.createElement('h3');
      title.id = 'tour-title';
      title.textContent = s.title;
      const text = document.createElement('p');
      text.textContent = s.text;
      const row = document.createElement('div');
      row.className = 'tour-row';
      const count = document.createElement('span');
      count.className = 'tour-count';
      count.textContent = `${i + 1} of ${steps.length}`;
      const skip = document.createElement('button');
      skip.type = 'button';
      skip.className = 'tour-skip';
      skip.textContent = i === steps.length - 1 ? 'Close' : 'Skip the tour';
      skip.addEventListener('click', close);
      const btns = [count, skip];
      if (i > 0) {
        const back = document.createElement('button');
        back.type = 'button';
        back.textContent = 'Back';
        back.addEventListener('click', () => {
          i--;
          show();
        });
        btns.push(back);
      }
      if (i < steps.length - 1) {
        const next = document.createElement('button');
        next.type = 'button';
        next.className = 'primary tour-next';
        next.textContent = 'Next';
        next.addEventListener('click', () => {
          i++;
          show();
        });
        btns.push(next);
      }
      row.append(...btns);
      const parts = [title, text];
      if (s.link) {
        const a = document.createElement('a');
        a.href = s.link.href;
        a.textContent = s.link.text;
        const p = document.createElement('p');
        p.append(a);
        parts.push(p);
      }
      box.replaceChildren(...parts, row);
      if (!box.isConnected) document.body.append(box);
      if (target) {
        target.classList.add('tour-target');
        target.scrollIntoView({ block: 'center', behavior: 'instant' });
      }
      place();
      (box.querySelector('.tour-next') || skip).focus({ preventScroll: true });
    };
    box.addEventListener('keydown', (e) => {
      if (e.key === 'Escape') close();
    });
    addEventListener('resize', place);
    current = { close };
    show();
  });
}
