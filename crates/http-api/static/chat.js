// The AI Assistant panel of an event page: ask, watch the answer stream in, browse and
// manage the event's past chats. The active chat of each event is remembered in
// localStorage under `chat_session_${eventId}` and restored when the page is opened again.

import { ApiError, api, chatEvents, explain, resumeAnswer, startChat, stopAnswer } from './api.js';
import { element, icon } from './dom.js';
import { renderMarkdown } from './markdown.js';

const storageKey = (eventId) => `chat_session_${eventId}`;
// A lost stream is picked up again after these waits (ms), then given up on.
const RESUME_WAITS = [500, 1000, 2000, 4000, 8000];
const utf8Length = (text) => new TextEncoder().encode(text).length;
// Beside the conversation from this width; over it (and the rest of the panel inert) below.
const OVERLAY = window.matchMedia('(max-width: 900px)');

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
  constructor(root, event) {
    this.root = root;
    this.eventId = event.id;
    this.eventName = event.name;
    this.sessionId = null;
    this.sessions = null;
    this.busy = false;
    this.render();
  }

  render() {
    this.chatTitle = element('span', { class: 'context-chat' });
    this.historyButton = element('button', {
      type: 'button', class: 'icon-button history-toggle', 'aria-expanded': 'false', 'aria-controls': 'chat-history',
      onclick: () => this.toggleHistory(),
    }, 'History');
    const newButton = element('button', { type: 'button', class: 'icon-button new-chat', onclick: () => this.newChat() }, 'New chat');
    const head = element('div', { class: 'panel-head' },
      element('h2', { id: 'assistant-title' }, 'AI Assistant'),
      element('p', { class: 'panel-context' },
        element('span', { class: 'context-event', title: this.eventName }, this.eventName),
        this.chatTitle),
      element('div', { class: 'panel-actions' }, this.historyButton, newButton));

    this.messages = element('div', { class: 'messages', role: 'region', 'aria-label': 'Conversation', tabindex: '0' });
    this.empty = element('p', { class: 'empty-chat' }, 'Ask about pacing, nutrition, gear or your aid-station plan.');
    // Screen readers hear each answer once, when it is whole, not every repaint of it.
    this.live = element('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
    this.notice = element('div', { class: 'notice', role: 'alert', hidden: true });
    this.input = element('textarea', {
      id: 'question',
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
    this.sendButton = element('button', { type: 'submit', class: 'primary' }, 'Send');
    this.stopButton = element('button', { type: 'button', class: 'stop', hidden: true, onclick: () => this.stop() }, 'Stop');
    const form = element('form', { class: 'composer', 'aria-label': 'Ask the assistant', onsubmit: (e) => { e.preventDefault(); this.send(); } }, this.input, this.stopButton, this.sendButton);
    this.conversation = element('div', { class: 'conversation' }, this.messages, this.live, this.notice, form);

    this.filter = element('input', { type: 'search', placeholder: 'Filter chats', 'aria-label': 'Filter chats', oninput: () => this.renderHistory() });
    this.historyList = element('ul', { class: 'history-list', 'aria-label': 'Chats of this event', tabindex: '-1' });
    this.sidebar = element('nav', { id: 'chat-history', class: 'history', 'aria-label': 'Past chats', hidden: true },
      element('div', { class: 'history-head' },
        element('h3', {}, 'Past chats'),
        element('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close chat history', onclick: () => this.closeHistory() }, '×')),
      this.filter,
      this.historyList);

    this.root.replaceChildren(head, element('div', { class: 'panel-body' }, this.sidebar, this.conversation));
    this.root.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !this.sidebar.hidden) this.closeHistory();
    });
    const place = () => (this.root.isConnected ? this.placeHistory() : OVERLAY.removeEventListener('change', place));
    OVERLAY.addEventListener('change', place);
    this.showTitle(null);
    this.clearMessages();
  }

  showTitle(title) {
    this.chatTitle.textContent = title ?? 'New chat';
    this.chatTitle.title = title ?? '';
  }

  // Opens the chat remembered for this event, if it still exists. Until it is on screen the
  // panel says so (never the empty prompt) and Send waits, so a question cannot land in a
  // new chat by accident.
  async restore() {
    const remembered = localStorage.getItem(storageKey(this.eventId));
    if (!remembered) return;
    this.beginWait('Loading your last chat…');
    try {
      await this.open(remembered);
    } catch (error) {
      if (error instanceof ApiError && (error.status === 404 || error.status === 400)) {
        localStorage.removeItem(storageKey(this.eventId));
        this.sessionId = null;
        this.clearMessages();
      } else {
        this.clearMessages();
        this.showNotice('Your last chat could not be loaded.', () => this.restore());
      }
    } finally {
      this.endWait();
    }
  }

  beginWait(text) {
    this.messages.replaceChildren(element('p', { class: 'loading' }, text));
    this.messages.setAttribute('aria-busy', 'true');
    this.sendButton.disabled = true;
  }

  endWait() {
    this.messages.removeAttribute('aria-busy');
    this.sendButton.disabled = this.busy;
  }

  async open(sessionId) {
    const session = await api(`/api/chat/sessions/${encodeURIComponent(sessionId)}`);
    this.sessionId = session.id;
    localStorage.setItem(storageKey(this.eventId), session.id);
    this.showTitle(session.title);
    this.hideNotice();
    this.messages.replaceChildren();
    let item = null;
    let question = null;
    for (const message of session.messages) {
      item = this.addMessage(message.role, message.content, message);
      if (message.role === 'user') question = message.content;
    }
    const last = session.messages[session.messages.length - 1];
    if (!last) this.clearMessages();
    // The answer is still being written (e.g. the page was reloaded mid-answer): show the
    // text saved so far and follow the rest of it live.
    if (last && last.status === 'generating' && !this.busy) this.follow(last.id, item, last.content);
    // The last answer failed: offer to ask again.
    else if (last && last.role === 'assistant' && last.status === 'interrupted' && last.status_code !== 'stopped' && question) {
      this.offerRetry(item, question);
    }
    this.renderHistory();
  }

  // Follows an answer already on screen with `shown` of its text, until it ends.
  async follow(answerId, item, shown) {
    this.beginAnswer(answerId);
    try {
      await this.readAnswer(null, item, null, shown);
    } finally {
      this.endAnswer(item);
    }
  }

  beginAnswer(answerId) {
    this.busy = true;
    this.answerId = answerId;
    this.sendButton.disabled = true;
    this.stopButton.hidden = !answerId;
    this.live.textContent = 'The assistant is answering…';
  }

  endAnswer(item) {
    item?.classList.remove('generating');
    // Stop is about to go away under the keyboard: the question box takes the focus.
    const stopHadFocus = document.activeElement === this.stopButton;
    this.busy = false;
    this.answerId = null;
    this.sendButton.disabled = false;
    this.stopButton.hidden = true;
    if (stopHadFocus) this.input.focus();
  }

  async stop() {
    if (!this.answerId) return;
    this.stopButton.disabled = true;
    try {
      await stopAnswer(this.answerId);
    } catch (error) {
      this.showNotice(`The answer was not stopped. ${explain(error)}`);
    } finally {
      this.stopButton.disabled = false;
    }
  }

  // Reads an answer's events into its bubble (`item`): the stream of `response`, or when
  // that is null or breaks, the answer's own stream from where the text got to, picked up
  // again after short waits. Resolves when the answer has ended (or could not be followed).
  async readAnswer(response, item, question, received = '') {
    let frame = 0;
    const paint = () => {
      frame = 0;
      this.setContent(item, 'assistant', received, true);
      this.scrollDown();
    };
    const settle = () => {
      cancelAnimationFrame(frame);
      this.setContent(item, 'assistant', received);
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
            this.showTitle(data.title);
            localStorage.setItem(storageKey(this.eventId), data.session_id);
          } else if (name === 'chunk') {
            received += data.chunk;
            if (!frame) frame = requestAnimationFrame(paint);
          } else if (name === 'done') {
            settle();
            this.live.textContent = `The assistant answered: ${item.querySelector('.body').textContent}`;
            return;
          } else if (name === 'error') {
            settle();
            this.live.textContent = data.code === 'stopped' ? 'The answer was stopped.' : 'The answer failed.';
            this.markInterrupted(item, data.error);
            if (data.code !== 'stopped' && question) this.offerRetry(item, question);
            return;
          }
        }
      } catch (error) {
        // The answer cannot be followed (it is gone): say so, and stop trying.
        if (error instanceof ApiError) {
          settle();
          this.markInterrupted(item, 'This answer can no longer be followed; reopen the chat to see what was saved.');
          return;
        }
      }
      // The stream broke before the answer ended: pick it up again where it got to.
      cancelAnimationFrame(frame);
      this.setContent(item, 'assistant', received, true);
      const wait = waits.shift();
      if (wait === undefined || !this.answerId) {
        settle();
        const answerId = this.answerId;
        this.markInterrupted(item, 'The connection was lost while the answer was coming in. It is still being saved.');
        if (answerId) this.offerAction(item, 'Show the rest', () => this.followAgain(answerId, item, received));
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  // Picks a broken-off answer up again (after the connection came back).
  async followAgain(answerId, item, received) {
    if (this.busy) return;
    item.querySelectorAll('.note, .note-actions').forEach((node) => node.remove());
    item.classList.remove('interrupted');
    this.setContent(item, 'assistant', received, true);
    await this.follow(answerId, item, received);
  }

  newChat() {
    this.sessionId = null;
    localStorage.removeItem(storageKey(this.eventId));
    this.showTitle(null);
    this.hideNotice();
    this.clearMessages();
    this.renderHistory();
    if (OVERLAY.matches) this.toggleHistory(false);
    this.input.focus();
  }

  clearMessages() {
    this.messages.replaceChildren(this.empty);
  }

  scrollDown() {
    this.messages.scrollTop = this.messages.scrollHeight;
  }

  addMessage(role, content, { status, status_reason: reason } = {}) {
    this.empty.remove();
    this.messages.querySelector('.loading')?.remove();
    const body = element('div', { class: 'body' });
    const item = element('article', { class: `message ${role}`, 'aria-label': role === 'user' ? 'You' : 'Assistant' }, body);
    this.setContent(item, role, content, status === 'generating');
    if (status === 'interrupted') this.markInterrupted(item, reason);
    this.messages.append(item);
    this.scrollDown();
    return item;
  }

  setContent(item, role, content, generating = false) {
    const body = item.querySelector('.body');
    if (role === 'assistant') body.innerHTML = renderMarkdown(content);
    else body.textContent = content;
    item.classList.toggle('generating', generating);
    // Nothing written yet: a "writing" mark rather than an empty bubble.
    item.classList.toggle('waiting', generating && !content);
  }

  markInterrupted(item, reason) {
    item.classList.add('interrupted');
    item.append(element('p', { class: 'note' }, reason || 'This answer did not finish.'));
  }

  offerAction(item, label, action) {
    const button = element('button', {
      type: 'button', class: 'link-button',
      onclick: async () => {
        actions.remove();
        await action();
      },
    }, label);
    const actions = element('p', { class: 'note-actions' }, button);
    item.append(actions);
  }

  // Retry under a failed answer: asks the same question again in this chat.
  offerRetry(item, question) {
    this.offerAction(item, 'Retry', () => this.ask(question));
  }

  // A message about the panel itself, above the question box, with an optional action.
  showNotice(text, retry) {
    this.notice.replaceChildren(element('span', {}, text));
    if (retry) {
      this.notice.append(element('button', {
        type: 'button', class: 'link-button',
        onclick: () => {
          this.hideNotice();
          this.input.focus();
          retry();
        },
      }, 'Retry'));
    }
    this.notice.hidden = false;
  }

  hideNotice() {
    this.notice.hidden = true;
    this.notice.replaceChildren();
  }

  // Sends what is in the question box.
  async send() {
    const text = this.input.value;
    if (this.busy || this.sendButton.disabled || !text.trim()) return;
    this.input.value = '';
    const sent = await this.ask(text);
    // It never reached the server, or was refused before anything was stored: the question
    // goes back into the box (unless something new was typed there meanwhile).
    if (!sent && !this.input.value) this.input.value = text;
  }

  // Asks `text`; resolves to whether the server took it.
  async ask(text) {
    if (this.busy) return false;
    this.hideNotice();
    // Keep the keyboard where the next question goes, whatever was clicked to get here.
    if (this.sidebar.hidden || !OVERLAY.matches) this.input.focus();
    this.beginAnswer(null);
    const question = this.addMessage('user', text);
    const answer = this.addMessage('assistant', '', { status: 'generating' });
    let response;
    try {
      response = await startChat({ message: text, event_id: this.eventId, session_id: this.sessionId });
    } catch (error) {
      question.remove();
      answer.remove();
      if (!this.messages.querySelector('.message')) this.clearMessages();
      this.live.textContent = '';
      this.endAnswer(null);
      const retry = () => (this.input.value === text ? this.send() : this.ask(text));
      this.showNotice(`Not sent. ${explain(error)}`, error instanceof ApiError && error.status < 500 ? null : retry);
      return false;
    }
    try {
      await this.readAnswer(response, answer, text);
    } finally {
      this.endAnswer(answer);
      if (!this.sidebar.hidden) this.loadHistory();
    }
    return true;
  }

  toggleHistory(open = this.sidebar.hidden) {
    this.sidebar.hidden = !open;
    this.historyButton.setAttribute('aria-expanded', String(open));
    this.root.classList.toggle('history-open', open);
    this.root.closest('.event-layout')?.classList.toggle('history-open', open);
    this.placeHistory();
    if (open) {
      // The list, not the filter: on a phone a focused text box pops the keyboard up.
      this.historyList.focus();
      this.renderHistory();
      this.loadHistory();
    }
  }

  closeHistory() {
    this.toggleHistory(false);
    this.historyButton.focus();
  }

  // Over the conversation (phones), nothing behind the list can be reached; beside it, all can.
  placeHistory() {
    const covering = OVERLAY.matches && !this.sidebar.hidden;
    this.conversation.inert = covering;
  }

  async loadHistory() {
    if (this.sessions === null) this.historyList.replaceChildren(element('li', { class: 'history-empty' }, 'Loading chats…'));
    try {
      this.sessions = await api(`/api/chat/sessions?event_id=${encodeURIComponent(this.eventId)}`);
      this.renderHistory();
    } catch {
      this.historyShape = null;
      this.historyList.replaceChildren(element('li', { class: 'history-error', role: 'alert' },
        'Chats could not be loaded. ',
        element('button', { type: 'button', class: 'link-button', onclick: () => this.loadHistory() }, 'Retry')));
    }
  }

  renderHistory() {
    if (this.sessions === null) return;
    const query = this.filter.value.trim().toLowerCase();
    const shown = this.sessions.filter((s) => s.title.toLowerCase().includes(query));
    // A re-render must not drop the keyboard: the same button of the same chat keeps it.
    const focused = this.historyList.contains(document.activeElement) ? document.activeElement : null;
    const focusedId = focused?.closest('.session')?.dataset.sessionId;
    const focusedPart = focused?.classList.contains('session-delete') ? '.session-delete' : '.session-open';
    // The same list as on screen (the usual case when a reload confirms the cached one) is
    // left alone, so that nothing moves or gets replaced under the pointer or the keyboard.
    const shape = JSON.stringify([this.sessionId, query, shown.map((s) => [s.id, s.title, s.updated_at])]);
    if (shape !== this.historyShape) {
      this.historyShape = shape;
      this.historyList.replaceChildren(...(shown.length ? shown.map((session) => this.historyRow(session))
        : [element('li', { class: 'history-empty' }, query ? 'No chat matches.' : 'No chats yet.')]));
    }
    // Just opened with the keyboard on the list: on to the open chat, or the newest.
    if (focused === this.historyList) this.focusRow(shown.findIndex((s) => s.id === this.sessionId));
    else if (focusedId && !this.historyList.contains(document.activeElement)) {
      this.historyList.querySelector(`[data-session-id="${focusedId}"] ${focusedPart}`)?.focus();
    }
  }

  historyRow(session) {
    const active = session.id === this.sessionId;
    const when = element('time', { datetime: session.updated_at, title: new Date(session.updated_at).toLocaleString() }, relativeTime(session.updated_at));
    const openButton = element('button', {
      type: 'button', class: 'session-open', title: session.title, 'aria-current': active ? 'true' : 'false',
      onclick: () => this.pick(session),
    }, element('span', { class: 'session-title' }, session.title), when);
    const deleteButton = element('button', {
      type: 'button', class: 'session-delete', 'aria-label': `Delete chat: ${session.title}`, title: 'Delete chat',
      onclick: () => this.deleteSession(session),
    }, icon(TRASH));
    return element('li', { class: active ? 'session active' : 'session', 'data-session-id': session.id }, openButton, deleteButton);
  }

  // Focuses the open-button of the `index`th row shown (the first when out of range).
  focusRow(index) {
    const rows = this.historyList.querySelectorAll('.session-open');
    (rows[index] ?? rows[0] ?? this.filter).focus();
  }

  async pick(session) {
    if (session.id === this.sessionId && !this.busy) {
      this.afterPick();
      return;
    }
    if (this.busy) {
      this.showNotice('Wait for the answer to finish (or stop it) before opening another chat.');
      return;
    }
    this.beginWait('Loading the chat…');
    try {
      await this.open(session.id);
      this.afterPick();
    } catch {
      this.clearMessages();
      this.showNotice('That chat could not be opened.', () => this.pick(session));
    } finally {
      this.endWait();
    }
  }

  // After a chat is picked: on a phone the list covers it, so it gets out of the way; the
  // keyboard goes to the question box either way.
  afterPick() {
    if (OVERLAY.matches) this.toggleHistory(false);
    this.input.focus();
  }

  async deleteSession(session) {
    if (!window.confirm(`Delete the chat "${session.title}"? This cannot be undone.`)) return;
    const rowIndex = [...this.historyList.querySelectorAll('.session')].findIndex((row) => row.dataset.sessionId === session.id);
    try {
      await api(`/api/chat/sessions/${encodeURIComponent(session.id)}`, { method: 'DELETE' });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) {
        this.showNotice(`The chat was not deleted. ${explain(error)}`);
        return;
      }
    }
    this.sessions = this.sessions.filter((s) => s.id !== session.id);
    if (session.id === this.sessionId) {
      this.sessionId = null;
      this.showTitle(null);
      this.clearMessages();
    }
    if (localStorage.getItem(storageKey(this.eventId)) === session.id) localStorage.removeItem(storageKey(this.eventId));
    this.renderHistory();
    // The row under the keyboard is gone: the one that took its place, or the one before.
    const rows = this.historyList.querySelectorAll('.session-open').length;
    if (rows) this.focusRow(Math.min(rowIndex, rows - 1));
    else this.filter.focus();
  }
}
