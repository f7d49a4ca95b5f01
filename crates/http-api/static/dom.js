// Building the page: one helper for elements and one for the icons drawn inline.

// `attributes`: `class`, `on<event>` listeners, and attributes (`true` sets an empty one;
// `undefined`, `null` and `false` leave it out). Children may be nodes or text; `null` and
// `undefined` are skipped.
export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') node.className = value;
    else if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// An SVG icon of one path, sized to the text: no icon font or emoji font needed.
export function icon(path) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  for (const [name, value] of Object.entries({ viewBox: '0 0 24 24', width: '16', height: '16', 'aria-hidden': 'true', focusable: 'false' })) {
    svg.setAttribute(name, value);
  }
  const shape = document.createElementNS(ns, 'path');
  shape.setAttribute('d', path);
  shape.setAttribute('fill', 'currentColor');
  svg.append(shape);
  return svg;
}

// A small menu of download links, opened and closed by its own button (a <details>, so the
// keyboard and screen readers get it without script). `links`: [label, href] pairs.
export function downloadMenu(label, className, links) {
  const menu = element('details', { class: `menu ${className}` },
    element('summary', { class: 'icon-button' }, label),
    element('ul', { class: 'menu-list' }, ...links.map(([text, href]) => element('li', {},
      element('a', { href, download: true, class: 'menu-item', onclick: () => menu.removeAttribute('open') }, text)))));
  // Closed again by Escape, as menus are (and by a click elsewhere, below).
  menu.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && menu.open) {
      e.stopPropagation();
      menu.removeAttribute('open');
      menu.querySelector('summary').focus();
    }
  });
  return menu;
}

// A click anywhere else closes an open menu (one listener for every menu there is).
document.addEventListener('click', (e) => {
  for (const menu of document.querySelectorAll('details.menu[open]')) {
    if (!menu.contains(e.target)) menu.removeAttribute('open');
  }
});
