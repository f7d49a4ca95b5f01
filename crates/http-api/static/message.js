// One message as the app shows it, in a chat and on a shared link alike: a question as the
// person typed it, an answer as (sanitized) Markdown, and a note under it when it stopped
// early or may not be all one expects.

import { element } from './dom.js';
import { renderMarkdown } from './markdown.js';

export function messageItem(role) {
  return element('article', { class: `message ${role}`, 'aria-label': role === 'user' ? 'You' : 'Assistant' },
    element('div', { class: 'body' }));
}

export function setBody(item, role, content) {
  const body = item.querySelector('.body');
  if (role === 'assistant') body.innerHTML = renderMarkdown(content);
  else body.textContent = content;
}

export function addNote(item, text) {
  item.append(element('p', { class: 'note' }, text));
}

export function markInterrupted(item, reason) {
  item.classList.add('interrupted');
  addNote(item, reason || 'This answer did not finish.');
}
