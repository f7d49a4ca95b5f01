// The AI Assistant panel of an event page: ask, watch the answer stream in, browse and
// manage the event's past chats. The active chat of each event is remembered in
// localStorage under `chat_session_${eventId}` and restored when the page is opened again.

import { ApiError, api, chatEvents, resumeAnswer, startChat, stopAnswer } from './api.js';
import { element, icon } from './dom.js';
import { renderMarkdown } from './markdown.js';

const storageKey = (eventId) => `chat_session_${eventId}`;
// A lost stream is picked up again after these waits (ms), then given up on.
const RESUME_WAITS = [500, 1000, 2000, 4000, 8000];
const utf8Length = (text) => new TextEncoder().encode(text).length;

export function relativeTime(iso, now = Date.now()) {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (seconds < 45) return 'just now';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 7) return days === 1 ? 'yesterday' : `${days} days ago`;
  return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

const TRASH = 'M9 3h6l1 2h4v2H4V5h4l1-2zM6 9h12l-1 12H7L6 9zm4 2v8h1.5v-8H10zm3.5 0v8H15v-8h-1.5z';

export class AssistantPanel {
  constructor(root, eventId) {
    this.root = root;
    this.eventId = eventId;
    this.sessionId = null;
    this.sessions = [];
    this.busy = false;
    this.render();
  }

  render() {
    this.messages = element('div', { class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-label': 'Conversation' });
    this.empty = element('p', { class: 'empty-chat' }, 'Ask about pacing, nutrition, gear or your aid-station plan.');
    this.messages.append(this.empty);
    this.input = element('textarea', {
      rows: '2',
      placeholder: 'Ask the assistant…',
      'aria-label': 'Your question',
      onkeydown: (e) => {
        if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.send();
        }
      },
    });
    this.sendButton = element('button', { type: 'submit', class: 'primary', 'aria-label': 'Send' }, 'Send');
    this.stopButton = element('button', { type: 'button', class: 'stop', hidden: true, onclick: () => this.stop() }, 'Stop');
    const form = element('form', { class: 'composer', onsubmit: (e) => { e.preventDefault(); this.send(); } }, this.input, this.stopButton, this.sendButton);
    this.historyButton = element('button', {
      type: 'button', class: 'icon-button', 'aria-label': 'Chat history', 'aria-expanded': 'false', 'aria-controls': 'chat-history',
      onclick: () => this.toggleHistory(),
    }, 'History');
    const newButton = element('button', { type: 'button', class: 'icon-button', 'aria-label': 'New chat', title: 'New chat', onclick: () => this.newChat() }, '+');
    this.filter = element('input', { type: 'search', placeholder: 'Filter chats', 'aria-label': 'Filter chats', oninput: () => this.renderHistory() });
    this.historyList = element('ul', { class: 'history-list' });
    this.sidebar = element('aside', { id: 'chat-history', class: 'history', 'aria-label': 'Chat history', hidden: '' },
      element('div', { class: 'history-head' },
        element('h3', {}, 'Past chats'),
        element('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close chat history', onclick: () => this.toggleHistory(false) }, '×')),
      this.filter,
      this.historyList);
    this.root.replaceChildren(
      element('div', { class: 'panel-head' }, element('h2', {}, 'AI Assistant'), element('div', { class: 'panel-actions' }, this.historyButton, newButton)),
      this.messages,
      form,
      this.sidebar,
    );
    this.root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !this.sidebar.hidden) {
        this.toggleHistory(false);
        this.historyButton.focus();
      }
    });
  }

  // Opens the chat remembered for this event, if it still exists.
  async restore() {
    const remembered = localStorage.getItem(storageKey(this.eventId));
    if (!remembered) return;
    try {
      await this.open(remembered);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
        localStorage.removeItem(storageKey(this.eventId));
        this.sessionId = null;
      } else {
        this.showError(`Could not load your last chat: ${error.message}`);
      }
    }
  }

  async open(sessionId) {
    const session = await api(`/api/chat/sessions/${encodeURIComponent(sessionId)}`);
    this.sessionId = session.id;
    localStorage.setItem(storageKey(this.eventId), session.id);
    this.clearMessages();
    let item = null;
    for (const message of session.messages) item = this.addMessage(message.role, message.content, message);
    const last = session.messages[session.messages.length - 1];
    // The answer is still being written (e.g. the page was reloaded mid-answer): show the
    // text saved so far and follow the rest of it live.
    if (last && last.status === 'generating' && !this.busy) this.follow(last.id, item, last.content);
    this.renderHistory();
  }

  // Follows an answer already on screen with `shown` of its text, until it ends.
  async follow(answerId, item, shown) {
    this.beginAnswer(answerId);
    try {
      await this.readAnswer(null, item, shown);
    } finally {
      this.endAnswer(item);
    }
  }

  beginAnswer(answerId) {
    this.busy = true;
    this.answerId = answerId;
    this.sendButton.disabled = true;
    this.stopButton.hidden = !answerId;
  }

  endAnswer(item) {
    item.classList.remove('generating');
    this.busy = false;
    this.answerId = null;
    this.sendButton.disabled = false;
    this.stopButton.hidden = true;
  }

  async stop() {
    if (!this.answerId) return;
    this.stopButton.disabled = true;
    try {
      await stopAnswer(this.answerId);
    } catch (error) {
      this.showError(`Could not stop the answer: ${error.message}`);
    } finally {
      this.stopButton.disabled = false;
    }
  }

  // Reads an answer's events into its bubble (`item`): the stream of `response`, or when
  // that is null or breaks, the answer's own stream from where the text got to, picked up
  // again after short waits. Resolves when the answer has ended (or could not be followed).
  async readAnswer(response, item, received = '') {
    let frame = 0;
    const paint = () => {
      frame = 0;
      this.setContent(item, 'assistant', received, true);
      this.messages.scrollTop = this.messages.scrollHeight;
    };
    let waits = [...RESUME_WAITS];
    for (;;) {
      try {
        const stream = response ?? await resumeAnswer(this.answerId, utf8Length(received));
        response = null;
        for await (const { name, data } of chatEvents(stream)) {
          waits = [...RESUME_WAITS];
          if (name === 'started') {
            this.sessionId = data.session_id;
            this.answerId = data.answer_id;
            this.stopButton.hidden = false;
            localStorage.setItem(storageKey(this.eventId), data.session_id);
          } else if (name === 'chunk') {
            received += data.chunk;
            if (!frame) frame = requestAnimationFrame(paint);
          } else if (name === 'done') {
            cancelAnimationFrame(frame);
            this.setContent(item, 'assistant', received);
            return;
          } else if (name === 'error') {
            cancelAnimationFrame(frame);
            this.setContent(item, 'assistant', received);
            if (data.code === 'stopped') {
              this.markInterrupted(item, 'stopped.');
            } else {
              if (!received) item.remove();
              this.showError(data.error);
            }
            return;
          }
        }
      } catch (error) {
        // The answer cannot be followed (it is gone): say so, and stop trying.
        if (error instanceof ApiError) {
          cancelAnimationFrame(frame);
          this.showError(error.message);
          return;
        }
      }
      // The stream broke before the answer ended: pick it up again where it got to.
      cancelAnimationFrame(frame);
      this.setContent(item, 'assistant', received, true);
      const wait = waits.shift();
      if (wait === undefined || !this.answerId) {
        this.showError('The connection was lost. The answer is still being saved; reopen this chat to see it.');
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  newChat() {
    this.sessionId = null;
    localStorage.removeItem(storageKey(this.eventId));
    this.clearMessages();
    this.renderHistory();
    this.input.focus();
  }

  clearMessages() {
    this.messages.replaceChildren(this.empty);
  }

  addMessage(role, content, { status, status_reason: reason } = {}) {
    this.empty.remove();
    const body = element('div', { class: 'body' });
    const item = element('div', { class: `message ${role}` }, body);
    this.setContent(item, role, content, status === 'generating');
    if (status === 'interrupted') this.markInterrupted(item, reason);
    this.messages.append(item);
    this.messages.scrollTop = this.messages.scrollHeight;
    return item;
  }

  setContent(item, role, content, generating = false) {
    const body = item.querySelector('.body');
    if (role === 'assistant') body.innerHTML = renderMarkdown(content);
    else body.textContent = content;
    item.classList.toggle('generating', generating);
  }

  markInterrupted(item, reason) {
    item.classList.add('interrupted');
    item.append(element('p', { class: 'note' }, `Answer interrupted${reason ? `: ${reason}` : '.'}`));
  }

  showError(text) {
    this.messages.append(element('div', { class: 'chat-error', role: 'alert' }, text));
    this.messages.scrollTop = this.messages.scrollHeight;
  }

  async send() {
    const text = this.input.value;
    if (this.busy || !text.trim()) return;
    this.beginAnswer(null);
    this.input.value = '';
    const question = this.addMessage('user', text);
    const answer = this.addMessage('assistant', '', { status: 'generating' });
    try {
      const response = await startChat({ message: text, event_id: this.eventId, session_id: this.sessionId });
      await this.readAnswer(response, answer);
    } catch (error) {
      // Refused before anything was stored: give the question back to edit.
      question.remove();
      answer.remove();
      this.input.value = text;
      this.showError(error.message);
    } finally {
      this.endAnswer(answer);
      this.input.focus();
      if (!this.sidebar.hidden) this.loadHistory();
    }
  }

  toggleHistory(open = this.sidebar.hidden) {
    this.sidebar.hidden = !open;
    this.historyButton.setAttribute('aria-expanded', String(open));
    this.root.classList.toggle('history-open', open);
    if (open) {
      this.loadHistory();
      this.filter.focus();
    }
  }

  async loadHistory() {
    try {
      this.sessions = await api(`/api/chat/sessions?event_id=${encodeURIComponent(this.eventId)}`);
      this.renderHistory();
    } catch (error) {
      this.historyList.replaceChildren(element('li', { class: 'chat-error', role: 'alert' }, `Could not load chats: ${error.message}`));
    }
  }

  renderHistory() {
    const query = this.filter.value.trim().toLowerCase();
    const shown = this.sessions.filter((s) => s.title.toLowerCase().includes(query));
    if (!shown.length) {
      this.historyList.replaceChildren(element('li', { class: 'history-empty' }, query ? 'No chat matches.' : 'No chats yet.'));
      return;
    }
    this.historyList.replaceChildren(...shown.map((session) => {
      const active = session.id === this.sessionId;
      const when = element('time', { datetime: session.updated_at, title: new Date(session.updated_at).toLocaleString() }, relativeTime(session.updated_at));
      const openButton = element('button', {
        type: 'button', class: 'session-open', 'aria-current': active ? 'true' : 'false',
        onclick: async () => {
          try {
            await this.open(session.id);
            // On a phone the sidebar covers the chat: get out of the way.
            if (window.matchMedia('(max-width: 900px)').matches) this.toggleHistory(false);
          } catch (error) {
            this.showError(`Could not open that chat: ${error.message}`);
          }
        },
      }, element('span', { class: 'session-title' }, session.title), when);
      const deleteButton = element('button', {
        type: 'button', class: 'session-delete', 'aria-label': `Delete chat: ${session.title}`, title: 'Delete chat',
        onclick: () => this.deleteSession(session),
      }, icon(TRASH));
      return element('li', { class: active ? 'session active' : 'session', 'data-session-id': session.id }, openButton, deleteButton);
    }));
  }

  async deleteSession(session) {
    if (!window.confirm(`Delete the chat "${session.title}"? This cannot be undone.`)) return;
    try {
      await api(`/api/chat/sessions/${encodeURIComponent(session.id)}`, { method: 'DELETE' });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) {
        this.showError(`Could not delete the chat: ${error.message}`);
        return;
      }
    }
    this.sessions = this.sessions.filter((s) => s.id !== session.id);
    if (session.id === this.sessionId) this.newChat();
    if (localStorage.getItem(storageKey(this.eventId)) === session.id) localStorage.removeItem(storageKey(this.eventId));
    this.renderHistory();
  }
}

