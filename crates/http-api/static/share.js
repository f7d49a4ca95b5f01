// The page of a shared link: the copy of a chat that the server put into the page, shown
// as the app shows a chat, and nothing else of the app. (`null`: the link opens nothing,
// and the page already says so.)

import { element } from './dom.js';
import { addNote, markInterrupted, messageItem, setBody } from './message.js';

const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function messageOf(message) {
  const item = messageItem(message.role);
  setBody(item, message.role, message.content);
  if (message.status === 'interrupted') markInterrupted(item, message.status_reason);
  else if (message.status_reason) addNote(item, message.status_reason);
  item.prepend(element('time', { class: 'message-time', datetime: message.created_at }, when(message.created_at)));
  return item;
}

function show(chat) {
  document.title = `${chat.title} · shared chat · aidstation`;
  const list = element('div', { class: 'messages shared-messages', role: 'region', 'aria-label': 'Conversation' },
    ...chat.messages.map(messageOf));
  if (!chat.messages.length) list.append(element('p', { class: 'muted' }, 'This chat had no finished messages when it was shared.'));
  document.getElementById('main').replaceChildren(element('article', { class: 'page shared-chat' },
    element('h1', {}, chat.title),
    element('p', { class: 'muted' }, 'Shared ', element('time', { datetime: chat.shared_at }, when(chat.shared_at)), ' · a read-only copy'),
    list));
}

const chat = JSON.parse(document.getElementById('shared-chat').textContent);
if (chat) show(chat);
