// Small DOM helpers shared by the app's views and the widget: text only, never HTML.
//   el('button', {class: 'x', text: 'Go', onclick: fn, disabled: true, style: '--c: red'}, ...children)
// A property that is undefined, null or false is left out; on<event> adds a listener; style is set
// through the CSSOM (allowed under a strict Content-Security-Policy).
export function el(tag, props = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') e.textContent = v;
    else if (k === 'class') e.className = v;
    else if (k === 'style')
      // through the CSSOM: a strict Content-Security-Policy (no 'unsafe-inline' styles) refuses a
      // style attribute, not this
      for (const decl of String(v).split(';')) {
        const at = decl.indexOf(':');
        if (at > 0) e.style.setProperty(decl.slice(0, at).trim(), decl.slice(at + 1).trim());
      }
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const kid of kids) if (kid) e.append(kid);
  return e;
}
