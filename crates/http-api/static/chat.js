// The AI Assistant panel of an event page: ask, watch the answer stream in, browse and
// manage the event's past chats. The active chat of each event is remembered in
// localStorage under `chat_session_${eventId}` and restored when the page is opened again.

import { ApiError, api, apiPage, chatEvents, explain, resumeAnswer, startChat, stopAnswer } from './api.js';
import { downloadMenu, element, icon } from './dom.js';
import { addNote, markInterrupted, messageItem, setBody } from './message.js';

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

// A search hit of another event, for that event's page to show once it has opened the chat.
const FOUND_KEY = 'aidstation_found';

// `snippet` as text nodes, with each highlighted range (code points) in a <mark>: the
// content never becomes markup.
function marked(snippet, highlights) {
  const chars = Array.from(snippet);
  const parts = [];
  let at = 0;
  for (const [start, end] of highlights) {
    if (start > at) parts.push(chars.slice(at, start).join(''));
    parts.push(element('mark', {}, chars.slice(start, end).join('')));
    at = end;
  }
  if (at < chars.length) parts.push(chars.slice(at).join(''));
  return parts;
}

const TRASH = 'M9 3h6l1 2h4v2H4V5h4l1-2zM6 9h12l-1 12H7L6 9zm4 2v8h1.5v-8H10zm3.5 0v8H15v-8h-1.5z';
const PIN = 'M14 2l8 8-2 2-1-1-4 4v4l-2 2-4-4-5 5-1-1 5-5-4-4 2-2h4l4-4-1-1 2-2z';
const PENCIL = 'M3 17.25V21h3.75L17.8 9.94l-3.75-3.75L3 17.25zM20.7 7.04a1 1 0 000-1.41l-2.34-2.34a1 1 0 00-1.41 0l-1.83 1.83 3.75 3.75 1.83-1.83z';
// Chats per page of History; more load as the list is scrolled to its end.
const PAGE = 50;
const sessionPath = (id) => `/api/chat/sessions/${encodeURIComponent(id)}`;
const when = (iso) => new Date(iso).toLocaleString();

export class AssistantPanel {
  // `navigate(path)` goes to another page of the app (a search hit of another event).
  constructor(root, event, navigate) {
    this.root = root;
    this.navigate = navigate;
    this.eventId = event.id;
    this.eventName = event.name;
    this.sessionId = null;
    this.sessions = null;
    this.nextPage = null;
    // The open chat as stored (its title and tags), or null for a new one.
    this.current = null;
    this.tagFilter = [];
    this.selected = null;
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
    this.chatTags = element('ul', { class: 'chat-tags', 'aria-label': 'Tags of this chat' });
    this.tagInput = element('input', {
      class: 'chat-tag-input', list: 'tag-suggestions', maxlength: '32', placeholder: 'Add a tag', 'aria-label': 'Add a tag to this chat',
      onkeydown: (e) => {
        if (e.key === 'Enter' && !e.isComposing) {
          e.preventDefault();
          this.addTag(this.tagInput.value);
        }
      },
    });
    this.suggestions = element('datalist', { id: 'tag-suggestions' });
    this.exportMenu = element('span', { class: 'chat-export' });
    this.chatTools = element('div', { class: 'chat-tools', hidden: true },
      this.chatTags, this.tagInput, this.suggestions, this.exportMenu,
      element('button', { type: 'button', class: 'icon-button share-chat', onclick: () => this.openShare() }, 'Share'));
    this.shareDialog = this.buildShareDialog();
    this.conversation = element('div', { class: 'conversation' }, this.chatTools, this.messages, this.live, this.notice, form, this.shareDialog);

    this.filter = element('input', {
      type: 'search', placeholder: 'Search chats', 'aria-label': 'Search chats', 'aria-controls': 'chat-history-list',
      oninput: () => this.searchSoon(),
      onkeydown: (e) => {
        if (e.key === 'ArrowDown') {
          e.preventDefault();
          this.focusRow(0);
        }
      },
    });
    this.everywhere = element('input', { type: 'checkbox', onchange: () => this.searchSoon(0) });
    this.historyList = element('ul', {
      id: 'chat-history-list', class: 'history-list', 'aria-label': 'Chats of this event', tabindex: '-1',
      onkeydown: (e) => this.moveInList(e),
    });
    // The end of a list with more to come: reaching it loads the next page.
    this.more = element('li', { class: 'history-more muted' }, 'Loading more chats…');
    this.moreObserver = new IntersectionObserver((seen) => {
      if (seen.some((entry) => entry.isIntersecting)) this.loadMore();
    });
    this.moreObserver.observe(this.more);
    this.tagBar = element('div', { class: 'tag-filter', role: 'group', 'aria-label': 'Show only chats tagged', hidden: true });
    this.selectButton = element('button', {
      type: 'button', class: 'icon-button select-toggle', 'aria-pressed': 'false', onclick: () => this.toggleSelect(),
    }, 'Select');
    this.bulkCount = element('span', { class: 'bulk-count', 'aria-live': 'polite' });
    this.bulkDelete = element('button', { type: 'button', class: 'danger bulk-delete', disabled: true, onclick: () => this.deleteSelected() }, 'Delete');
    this.bulkBar = element('div', { class: 'bulk-bar', hidden: true }, this.bulkCount, this.bulkDelete);
    this.sidebar = element('nav', { id: 'chat-history', class: 'history', 'aria-label': 'Past chats', hidden: true },
      element('div', { class: 'history-head' },
        element('h3', {}, 'Past chats'),
        this.selectButton,
        element('button', { type: 'button', class: 'icon-button', 'aria-label': 'Close chat history', onclick: () => this.closeHistory() }, '×')),
      this.filter,
      element('label', { class: 'search-scope' }, this.everywhere, ' All events'),
      this.tagBar,
      this.bulkBar,
      this.historyList);

    this.root.replaceChildren(head, element('div', { class: 'panel-body' }, this.sidebar, this.conversation));
    this.root.addEventListener('keydown', (e) => {
      // (Escape in the share dialog closes the dialog only.)
      if (e.key === 'Escape' && !this.sidebar.hidden && !this.shareDialog.open) this.closeHistory();
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
      // Opened from a search on another event's page: show what was found.
      const found = JSON.parse(sessionStorage.getItem(FOUND_KEY) ?? 'null');
      sessionStorage.removeItem(FOUND_KEY);
      if (found && found.session === this.sessionId) this.showFound(found.message);
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
    this.setCurrent(session);
    localStorage.setItem(storageKey(this.eventId), session.id);
    this.showTitle(session.title);
    this.hideNotice();
    this.messages.replaceChildren();
    let item = null;
    let question = null;
    for (const message of session.messages) {
      item = this.addMessage(message.role, message.content, message);
      item.dataset.messageId = message.id;
      this.showSources(item, message.sources);
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
            // Ids on the bubbles, for a search to find them without reopening the chat.
            item.dataset.messageId = data.answer_id;
            const asked = item.previousElementSibling;
            if (asked?.classList.contains('user')) asked.dataset.messageId = data.message_id;
            this.stopButton.hidden = false;
            this.showTitle(data.title);
            if (this.current?.id !== data.session_id) this.setCurrent({ id: data.session_id, title: data.title, tags: [] });
            localStorage.setItem(storageKey(this.eventId), data.session_id);
          } else if (name === 'chunk') {
            received += data.chunk;
            if (!frame) frame = requestAnimationFrame(paint);
          } else if (name === 'done') {
            settle();
            this.showSources(item, data.sources);
            if (data.status_reason) addNote(item, data.status_reason);
            const note = data.status_reason ? ` ${data.status_reason}` : '';
            this.live.textContent = `The assistant answered: ${item.querySelector('.body').textContent}${note}`;
            return;
          } else if (name === 'error') {
            settle();
            this.live.textContent = data.code === 'stopped' ? 'The answer was stopped.' : 'The answer failed.';
            markInterrupted(item, data.error);
            if (data.code !== 'stopped' && question) this.offerRetry(item, question);
            return;
          }
        }
      } catch (error) {
        // The answer cannot be followed (it is gone): say so, and stop trying.
        if (error instanceof ApiError) {
          settle();
          markInterrupted(item, 'This answer can no longer be followed; reopen the chat to see what was saved.');
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
        markInterrupted(item, 'The connection was lost while the answer was coming in. It is still being saved.');
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
    this.setCurrent(null);
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
    const item = messageItem(role);
    this.setContent(item, role, content, status === 'generating');
    if (status === 'interrupted') markInterrupted(item, reason);
    // A complete answer that is still not all one might expect (cut at the length limit...).
    else if (reason) addNote(item, reason);
    this.messages.append(item);
    this.scrollDown();
    return item;
  }

  // What the answer's prompt used, as chips under it: a chat opens at the message it
  // recalled, the event scrolls to the event's details.
  showSources(item, sources) {
    item.querySelector('.sources')?.remove();
    if (!sources?.length) return;
    const chips = sources.map((source) => (source.type === 'chat'
      ? element('button', {
        type: 'button', class: 'source-chip', title: source.snippet,
        onclick: () => this.openHit({ session_id: source.session_id, session_title: source.title, event_id: this.eventId, message_id: source.message_id }),
      }, element('span', { class: 'source-title' }, source.title), element('span', { class: 'source-when' }, relativeTime(source.created_at)))
      : element('button', {
        type: 'button', class: 'source-chip event-source',
        onclick: () => document.querySelector('.event-head')?.scrollIntoView({ block: 'start' }),
      }, `Event: ${source.name}`)));
    item.append(element('div', { class: 'sources', role: 'group', 'aria-label': 'Sources' },
      element('span', { class: 'sources-label' }, 'Sources'), ...chips));
  }

  setContent(item, role, content, generating = false) {
    setBody(item, role, content);
    item.classList.toggle('generating', generating);
    // Nothing written yet: a "writing" mark rather than an empty bubble.
    item.classList.toggle('waiting', generating && !content);
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
      if (!this.filter.value.trim()) this.hits = null;
      // The list, not the search box: on a phone a focused text box pops the keyboard up.
      this.historyList.focus();
      this.renderHistory();
      this.loadHistory();
      this.loadTags();
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

  // The list's first pages again (as many chats as are shown, at least a page), with the
  // tags picked above it.
  async loadHistory() {
    if (this.sessions === null) this.historyList.replaceChildren(element('li', { class: 'history-empty' }, 'Loading chats…'));
    const query = new URLSearchParams({ event_id: this.eventId, limit: String(Math.min(1000, Math.max(PAGE, this.sessions?.length ?? 0))) });
    for (const tag of this.tagFilter) query.append('tag', tag);
    const asked = query.toString();
    this.listAsked = asked;
    try {
      const page = await apiPage(`/api/chat/sessions?${asked}`);
      if (this.listAsked !== asked) return;
      this.sessions = page.items;
      this.nextPage = page.next;
      this.renderHistory();
    } catch {
      if (this.listAsked !== asked) return;
      this.historyShape = null;
      this.historyList.replaceChildren(element('li', { class: 'history-error', role: 'alert' },
        'Chats could not be loaded. ',
        element('button', { type: 'button', class: 'link-button', onclick: () => this.loadHistory() }, 'Retry')));
    }
  }

  // Chats were added from outside the panel (an import): the list and tags again.
  chatsChanged() {
    this.sessions = null;
    this.historyShape = null;
    if (!this.sidebar.hidden) {
      this.loadHistory();
      this.loadTags();
    }
  }

  // The next page of the list, once its end is in view.
  async loadMore() {
    const next = this.nextPage;
    if (!next || this.hits || this.loadingMore) return;
    this.loadingMore = true;
    try {
      const page = await apiPage(next);
      if (this.nextPage !== next) return;
      const shown = new Set(this.sessions.map((s) => s.id));
      this.sessions = this.sessions.concat(page.items.filter((s) => !shown.has(s.id)));
      this.nextPage = page.next;
      this.renderHistory();
    } catch {
      this.more.textContent = 'More chats could not be loaded. Scroll to try again.';
    } finally {
      this.loadingMore = false;
    }
  }

  // The event's tags, as filters over the list and as suggestions for the tag editor.
  async loadTags() {
    let tags;
    try {
      tags = await api(`/api/chat/tags?event_id=${encodeURIComponent(this.eventId)}`);
    } catch {
      return;
    }
    this.suggestions.replaceChildren(...tags.map(({ tag }) => element('option', { value: tag })));
    const picked = (tag) => this.tagFilter.some((t) => t.toLowerCase() === tag.toLowerCase());
    // A picked tag that no chat has any more is let go.
    this.tagFilter = this.tagFilter.filter((t) => tags.some(({ tag }) => tag.toLowerCase() === t.toLowerCase()));
    this.tagBar.hidden = !tags.length;
    this.tagBar.replaceChildren(...tags.map(({ tag, count }) => element('button', {
      type: 'button', class: 'tag-chip', 'aria-pressed': picked(tag) ? 'true' : 'false',
      'aria-label': `${tag} (${count} ${count === 1 ? 'chat' : 'chats'})`,
      onclick: () => this.toggleTagFilter(tag),
    }, tag, element('span', { class: 'tag-count', 'aria-hidden': 'true' }, String(count)))));
  }

  async toggleTagFilter(tag) {
    const on = this.tagFilter.some((t) => t.toLowerCase() === tag.toLowerCase());
    this.tagFilter = on ? this.tagFilter.filter((t) => t.toLowerCase() !== tag.toLowerCase()) : [...this.tagFilter, tag];
    for (const chip of this.tagBar.querySelectorAll('.tag-chip')) {
      if (chip.firstChild.textContent.toLowerCase() === tag.toLowerCase()) chip.setAttribute('aria-pressed', String(!on));
    }
    this.sessions = null;
    this.nextPage = null;
    this.historyShape = null;
    await this.loadHistory();
  }

  // Searches what is in the box after a pause in the typing (`wait` ms); an empty box shows
  // the event's chats again.
  searchSoon(wait = 250) {
    clearTimeout(this.searchTimer);
    this.searchTimer = setTimeout(() => this.search(), wait);
  }

  async search() {
    const text = this.filter.value.trim();
    if (!text) {
      this.hits = null;
      this.historyShape = null;
      this.renderHistory();
      return;
    }
    const asked = `${text}\n${this.everywhere.checked}`;
    this.asked = asked;
    this.historyList.setAttribute('aria-busy', 'true');
    const scope = this.everywhere.checked ? '' : `&event_id=${encodeURIComponent(this.eventId)}`;
    let page;
    try {
      page = await api(`/api/chat/search?q=${encodeURIComponent(text)}${scope}&limit=30`);
    } catch (error) {
      if (this.asked !== asked) return;
      this.historyList.removeAttribute('aria-busy');
      this.historyShape = null;
      this.historyList.replaceChildren(element('li', { class: 'history-error', role: 'alert' },
        `Search failed. ${explain(error)} `,
        element('button', { type: 'button', class: 'link-button', onclick: () => this.search() }, 'Retry')));
      return;
    }
    // A later search has been asked meanwhile: its answer is the one to show.
    if (this.asked !== asked) return;
    this.historyList.removeAttribute('aria-busy');
    this.hits = page.hits;
    this.historyShape = null;
    this.renderHistory();
  }

  // Up and down move between the rows' main buttons (Up from the first goes back to the box).
  moveInList(e) {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const rows = [...this.historyList.querySelectorAll('.session-open')];
    const at = rows.indexOf(document.activeElement.closest('.session')?.querySelector('.session-open'));
    e.preventDefault();
    if (e.key === 'ArrowUp' && at <= 0) this.filter.focus();
    else rows[Math.min(Math.max(e.key === 'ArrowDown' ? at + 1 : at - 1, 0), rows.length - 1)]?.focus();
  }

  renderHistory() {
    if (this.hits) {
      this.renderHits();
      return;
    }
    if (this.sessions === null) return;
    const shown = this.sessions;
    // A re-render must not drop the keyboard: the same button of the same chat keeps it.
    const focused = this.historyList.contains(document.activeElement) ? document.activeElement : null;
    const focusedId = focused?.closest('.session')?.dataset.sessionId;
    const focusedPart = ['session-delete', 'session-pin', 'session-rename', 'session-check'].map((c) => `.${c}`).find((c) => focused?.matches(c)) ?? '.session-open';
    // The same list as on screen (the usual case when a reload confirms the cached one) is
    // left alone, so that nothing moves or gets replaced under the pointer or the keyboard.
    const shape = JSON.stringify([this.sessionId, this.nextPage, this.selected && [...this.selected],
      shown.map((s) => [s.id, s.title, s.updated_at, s.pinned, s.tags])]);
    if (shape !== this.historyShape) {
      this.historyShape = shape;
      const empty = this.tagFilter.length ? 'No chat has all these tags.' : 'No chats yet.';
      this.historyList.replaceChildren(...(shown.length ? shown.map((session) => this.historyRow(session))
        : [element('li', { class: 'history-empty' }, empty)]));
      if (this.nextPage) {
        this.more.textContent = 'Loading more chats…';
        this.historyList.append(this.more);
      }
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
    const pinButton = element('button', {
      type: 'button', class: 'session-pin', 'aria-label': `Pin chat: ${session.title}`, 'aria-pressed': session.pinned ? 'true' : 'false',
      title: session.pinned ? 'Unpin chat' : 'Pin chat to the top', onclick: () => this.togglePin(session),
    }, icon(PIN));
    const deleteButton = element('button', {
      type: 'button', class: 'session-delete', 'aria-label': `Delete chat: ${session.title}`, title: 'Delete chat',
      onclick: () => this.deleteSession(session),
    }, icon(TRASH));
    const renameButton = element('button', {
      type: 'button', class: 'session-rename', 'aria-label': `Rename chat: ${session.title}`, title: 'Rename chat',
      onclick: () => this.startRename(session, renameButton.closest('.session')),
    }, icon(PENCIL));
    if (session.tags?.length) {
      openButton.append(element('span', { class: 'session-tags' }, ...session.tags.map((tag) => element('span', { class: 'tag-chip small' }, tag))));
    }
    const check = this.selected && element('input', {
      type: 'checkbox', class: 'session-check', 'aria-label': `Select chat: ${session.title}`, checked: this.selected.has(session.id),
      onchange: (e) => {
        if (e.target.checked) this.selected.add(session.id);
        else this.selected.delete(session.id);
        this.renderBulk();
      },
    });
    const classes = ['session', active && 'active', session.pinned && 'pinned'].filter(Boolean).join(' ');
    return element('li', { class: classes, 'data-session-id': session.id }, check, openButton, pinButton, renameButton, deleteButton);
  }

  // Renames a chat where its title is: Enter or leaving the box saves, Escape keeps the old one.
  startRename(session, row) {
    const open = row.querySelector('.session-open');
    const input = element('input', { class: 'session-rename-input', value: session.title, maxlength: '100', 'aria-label': `New title for ${session.title}` });
    let done = false;
    const finish = async (save) => {
      if (done) return;
      done = true;
      const title = input.value.trim();
      if (save && title && title !== session.title) await this.editSession(session.id, { title }, 'renamed');
      this.historyShape = null;
      this.renderHistory();
      this.historyList.querySelector(`[data-session-id="${session.id}"] .session-rename`)?.focus();
    };
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.isComposing) {
        e.preventDefault();
        finish(true);
      } else if (e.key === 'Escape') {
        e.preventDefault();
        e.stopPropagation();
        finish(false);
      }
    });
    input.addEventListener('blur', () => finish(true));
    open.replaceWith(input);
    input.focus();
    input.select();
  }

  // PATCHes a chat; the list, the open chat and the tags follow. `what` names the change for
  // the message when it fails. Resolves to the chat as stored, or null.
  async editSession(id, changes, what) {
    let edited;
    try {
      edited = await api(sessionPath(id), { method: 'PATCH', body: changes });
    } catch (error) {
      this.showNotice(`The chat was not ${what}. ${explain(error)}`);
      return null;
    }
    this.sessions = this.sessions?.map((s) => (s.id === edited.id ? { ...s, title: edited.title, pinned: edited.pinned, tags: edited.tags } : s)) ?? null;
    if (edited.id === this.sessionId) {
      this.setCurrent(edited);
      this.showTitle(edited.title);
    }
    if (changes.tags) this.loadTags();
    return edited;
  }

  // The open chat (as stored) and its tag editor.
  setCurrent(session) {
    this.current = session && { id: session.id, title: session.title, tags: session.tags ?? [] };
    this.chatTools.hidden = !this.current;
    if (!this.current) return;
    const exported = (format) => `${sessionPath(this.current.id)}/export?format=${format}`;
    this.exportMenu.replaceChildren(downloadMenu('Export', 'export-chat',
      [['Markdown', exported('md')], ['JSON', exported('json')], ['PDF', exported('pdf')]]));
    this.chatTags.replaceChildren(...this.current.tags.map((tag) => element('li', { class: 'tag-chip' }, tag,
      element('button', { type: 'button', class: 'tag-remove', 'aria-label': `Remove tag ${tag}`, onclick: () => this.removeTag(tag) }, '×'))));
  }

  forgetOpenChat() {
    this.sessionId = null;
    this.setCurrent(null);
    this.showTitle(null);
    this.clearMessages();
  }

  async addTag(text) {
    const tag = text.trim();
    if (!tag || !this.current) return;
    if (this.current.tags.some((t) => t.toLowerCase() === tag.toLowerCase())) {
      this.tagInput.value = '';
      return;
    }
    if (await this.editSession(this.current.id, { tags: [...this.current.tags, tag] }, 'tagged')) {
      this.tagInput.value = '';
      this.renderHistory();
      this.live.textContent = `Tagged ${tag}`;
    }
  }

  async removeTag(tag) {
    if (!this.current) return;
    if (await this.editSession(this.current.id, { tags: this.current.tags.filter((t) => t !== tag) }, 'changed')) {
      this.renderHistory();
      this.tagInput.focus();
      this.live.textContent = `Removed tag ${tag}`;
    }
  }

  // Select mode: a box on each chat, and one Delete for the chats picked.
  toggleSelect(on = !this.selected) {
    this.selected = on ? new Set() : null;
    this.selectButton.setAttribute('aria-pressed', String(on));
    this.bulkBar.hidden = !on;
    this.renderBulk();
    this.renderHistory();
  }

  renderBulk() {
    const n = this.selected?.size ?? 0;
    this.bulkCount.textContent = `${n} selected`;
    this.bulkDelete.disabled = n === 0;
  }

  async deleteSelected() {
    const ids = [...(this.selected ?? [])];
    if (!ids.length) return;
    const chats = ids.length === 1 ? '1 chat' : `${ids.length} chats`;
    if (!window.confirm(`Delete ${chats}? This cannot be undone.`)) return;
    let done;
    try {
      done = await api('/api/chat/sessions/delete', { method: 'POST', body: { ids } });
    } catch (error) {
      this.showNotice(`The chats were not deleted. ${explain(error)}`);
      return;
    }
    const gone = new Set(ids);
    this.sessions = this.sessions.filter((s) => !gone.has(s.id));
    if (gone.has(this.sessionId)) {
      this.forgetOpenChat();
      localStorage.removeItem(storageKey(this.eventId));
    }
    this.toggleSelect(false);
    this.live.textContent = `Deleted ${done.deleted === 1 ? '1 chat' : `${done.deleted} chats`}.`;
    this.loadTags();
    this.loadHistory();
    this.selectButton.focus();
  }

  buildShareDialog() {
    this.shareUrl = element('input', { class: 'share-url', readonly: true, 'aria-label': 'Link to the copy' });
    this.shareCopy = element('button', { type: 'button', class: 'share-copy', onclick: () => this.copyLink() }, 'Copy link');
    this.shareNew = element('div', { class: 'share-new', hidden: true }, this.shareUrl, this.shareCopy);
    this.shareList = element('ul', { class: 'share-list', 'aria-label': 'Links to this chat' });
    this.shareError = element('p', { class: 'form-error', role: 'alert', hidden: true });
    const dialog = element('dialog', { class: 'share-dialog card', 'aria-labelledby': 'share-title' },
      element('h3', { id: 'share-title' }, 'Share this chat'),
      element('p', { class: 'muted' }, 'Anyone with a link can read a copy of this chat as it is now; what is said later is not in it. The link is shown once.'),
      element('button', { type: 'button', class: 'primary share-create', onclick: () => this.createShare() }, 'Create a link'),
      this.shareNew,
      this.shareError,
      element('h4', {}, 'Links'),
      this.shareList,
      element('button', { type: 'button', class: 'share-close', onclick: () => dialog.close() }, 'Close'));
    return dialog;
  }

  async openShare() {
    if (!this.current) return;
    this.shareNew.hidden = true;
    this.shareError.hidden = true;
    this.shareDialog.showModal();
    await this.loadShares();
  }

  async loadShares() {
    let shares;
    try {
      shares = await api(`${sessionPath(this.current.id)}/shares`);
    } catch (error) {
      this.showShareError(error);
      return;
    }
    this.shareList.replaceChildren(...(shares.length ? shares.map((share) => element('li', { class: 'share' },
      element('span', {}, 'Made ', element('time', { datetime: share.created_at }, when(share.created_at))),
      element('button', { type: 'button', class: 'danger share-revoke', 'aria-label': `Revoke the link made ${when(share.created_at)}`, onclick: () => this.revokeShare(share) }, 'Revoke')))
      : [element('li', { class: 'muted' }, 'No links yet.')]));
  }

  showShareError(error) {
    this.shareError.textContent = explain(error);
    this.shareError.hidden = false;
  }

  async createShare() {
    let made;
    try {
      made = await api(`${sessionPath(this.current.id)}/shares`, { method: 'POST' });
    } catch (error) {
      this.showShareError(error);
      return;
    }
    this.shareUrl.value = made.url;
    this.shareNew.hidden = false;
    this.shareCopy.textContent = 'Copy link';
    this.shareUrl.focus();
    this.shareUrl.select();
    await this.loadShares();
  }

  async revokeShare(share) {
    try {
      await api(`${sessionPath(this.current.id)}/shares/${encodeURIComponent(share.id)}`, { method: 'DELETE' });
    } catch (error) {
      this.showShareError(error);
      return;
    }
    this.shareNew.hidden = true;
    await this.loadShares();
    this.shareDialog.querySelector('.share-create').focus();
  }

  async copyLink() {
    try {
      await navigator.clipboard.writeText(this.shareUrl.value);
      this.shareCopy.textContent = 'Copied';
    } catch {
      // No clipboard access: the link is selected for the person to copy.
      this.shareUrl.select();
      this.shareCopy.textContent = 'Press Ctrl+C to copy';
    }
  }

  renderHits() {
    const shape = JSON.stringify(['hits', this.sessionId, this.hits.map((h) => [h.session_id, h.message_id])]);
    if (shape === this.historyShape) return;
    this.historyShape = shape;
    if (!this.hits.length) {
      this.historyList.replaceChildren(element('li', { class: 'history-empty', role: 'status' }, 'No chat has that.'));
      return;
    }
    this.historyList.replaceChildren(...this.hits.map((hit) => {
      const elsewhere = hit.event_id && hit.event_id !== this.eventId;
      const open = element('button', {
        type: 'button', class: 'session-open', title: hit.session_title,
        onclick: () => this.openHit(hit),
      },
      element('span', { class: 'session-title' }, hit.session_title),
      element('span', { class: 'snippet' }, ...marked(hit.snippet, hit.highlights)),
      element('time', { datetime: hit.created_at, title: new Date(hit.created_at).toLocaleString() },
        `${hit.role === 'user' ? 'You' : hit.role === 'assistant' ? 'Assistant' : 'Title'} · ${relativeTime(hit.created_at)}${elsewhere ? ' · another event' : ''}`));
      const active = hit.session_id === this.sessionId ? ' active' : '';
      return element('li', { class: `session search-hit${active}`, 'data-session-id': hit.session_id, 'data-message-id': hit.message_id ?? '' }, open);
    }));
  }

  // Opens the hit's chat and shows its message; a chat of another event opens on that
  // event's page, which finds the message once it has restored the chat.
  async openHit(hit) {
    if (hit.event_id && hit.event_id !== this.eventId) {
      localStorage.setItem(storageKey(hit.event_id), hit.session_id);
      sessionStorage.setItem(FOUND_KEY, JSON.stringify({ session: hit.session_id, message: hit.message_id }));
      this.navigate(`/events/${hit.event_id}`);
      return;
    }
    await this.pick({ id: hit.session_id, title: hit.session_title }, false);
    if (this.sessionId === hit.session_id) this.showFound(hit.message_id);
  }

  // Scrolls to the message a search found, marks it, and gives it the focus.
  showFound(messageId) {
    const found = messageId && this.messages.querySelector(`[data-message-id="${messageId}"]`);
    if (!found) return;
    this.messages.querySelectorAll('.message.found').forEach((m) => m.classList.remove('found'));
    found.classList.add('found');
    found.tabIndex = -1;
    found.scrollIntoView({ block: 'center' });
    found.focus({ preventScroll: true });
  }

  // Focuses the open-button of the `index`th row shown (the first when out of range).
  focusRow(index) {
    const rows = this.historyList.querySelectorAll('.session-open');
    (rows[index] ?? rows[0] ?? this.filter).focus();
  }

  async pick(session, focusQuestion = true) {
    if (session.id === this.sessionId && !this.busy) {
      this.afterPick(focusQuestion);
      return;
    }
    if (this.busy) {
      this.showNotice('Wait for the answer to finish (or stop it) before opening another chat.');
      return;
    }
    this.beginWait('Loading the chat…');
    try {
      await this.open(session.id);
      this.afterPick(focusQuestion);
    } catch {
      this.clearMessages();
      this.showNotice('That chat could not be opened.', () => this.pick(session));
    } finally {
      this.endWait();
    }
  }

  // After a chat is picked: on a phone the list covers it, so it gets out of the way; the
  // keyboard goes to the question box either way.
  afterPick(focusQuestion = true) {
    if (OVERLAY.matches) this.toggleHistory(false);
    if (focusQuestion) this.input.focus();
  }

  // Pins a chat to the top of the list, or lets it go back among the newest.
  async togglePin(session) {
    const edited = await this.editSession(session.id, { pinned: !session.pinned }, session.pinned ? 'unpinned' : 'pinned');
    if (!edited) return;
    // The server's order: pinned first, then the most recently updated.
    this.sessions.sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.updated_at.localeCompare(a.updated_at) || b.id.localeCompare(a.id));
    this.renderHistory();
    this.live.textContent = edited.pinned ? `Pinned: ${edited.title}` : `Unpinned: ${edited.title}`;
  }

  async deleteSession(session) {
    if (!window.confirm(`Delete the chat "${session.title}"? This cannot be undone.`)) return;
    const rowIndex = [...this.historyList.querySelectorAll('.session')].findIndex((row) => row.dataset.sessionId === session.id);
    try {
      await api(sessionPath(session.id), { method: 'DELETE' });
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) {
        this.showNotice(`The chat was not deleted. ${explain(error)}`);
        return;
      }
    }
    this.sessions = this.sessions.filter((s) => s.id !== session.id);
    if (session.id === this.sessionId) this.forgetOpenChat();
    if (localStorage.getItem(storageKey(this.eventId)) === session.id) localStorage.removeItem(storageKey(this.eventId));
    this.renderHistory();
    // The row under the keyboard is gone: the one that took its place, or the one before.
    const rows = this.historyList.querySelectorAll('.session-open').length;
    if (rows) this.focusRow(Math.min(rowIndex, rows - 1));
    else this.filter.focus();
  }
}
