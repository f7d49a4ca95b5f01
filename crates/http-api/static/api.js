// Talking to the aidstation API: JSON requests with problem+json errors, and the chat
// event stream.

import { prefetched } from './boot.js';

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

// What a person reads about a failed call: the problem's own words when the request was
// refused (they say what to change), never the browser's ("Failed to fetch") nor anything
// about the server's insides.
export function explain(error) {
  if (!(error instanceof ApiError)) return 'No connection to aidstation. Check your connection, then try again.';
  if (error.status >= 500) return 'aidstation could not do that just now. Try again in a moment.';
  return error.message;
}

async function problemDetail(response) {
  try {
    const problem = await response.json();
    return problem.detail || response.statusText;
  } catch {
    return response.statusText || `HTTP ${response.status}`;
  }
}

// A refusal for want of the access token: the app shows its sign-in page (app.js listens),
// after the caller has dealt with the error (so its message does not replace the page).
async function refused(response) {
  if (response.status === 401) setTimeout(() => window.dispatchEvent(new CustomEvent('aidstation:sign-in')));
  return new ApiError(response.status, await problemDetail(response));
}

async function call(path, { method = 'GET', body } = {}) {
  const response = await ((method === 'GET' && prefetched(path)) || fetch(path, {
    method,
    headers: body === undefined ? { accept: 'application/json' } : { 'content-type': 'application/json', accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  }));
  if (!response.ok) throw await refused(response);
  return response;
}

// JSON from the API; `null` for an empty answer (204).
export async function api(path, options) {
  const response = await call(path, options);
  return response.status === 204 ? null : response.json();
}

// One page of a list: its items, and the path of the next page (from the `Link` header) or
// null on the last one.
export async function apiPage(path) {
  const response = await call(path);
  const next = (response.headers.get('link') ?? '').match(/<([^>]+)>;\s*rel="next"/);
  return { items: await response.json(), next: next ? next[1] : null };
}

// Starts a chat turn. Resolves to the streaming response, or throws the problem's detail
// (bad input is refused before any stream starts).
export async function startChat(body) {
  const response = await fetch('/api/chat', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await refused(response);
  return response;
}

// Follows an answer from `after` (its bytes already shown): the rest of its stream, on any
// instance. Resolves to the streaming response, or throws the problem's detail.
export async function resumeAnswer(answerId, after) {
  const response = await fetch(`/api/chat/messages/${encodeURIComponent(answerId)}/stream?after=${after}`, {
    headers: { accept: 'text/event-stream' },
  });
  if (!response.ok) throw await refused(response);
  return response;
}

// Asks whichever instance writes the answer to stop it.
export function stopAnswer(answerId) {
  return api(`/api/chat/messages/${encodeURIComponent(answerId)}/stop`, { method: 'POST' });
}

// The events of a chat stream, in order, as `{ name, id, data }`: the `event:` line names
// the event, a chunk's `id:` line is its cursor, the `data:` line holds its JSON. Network reads split anywhere, so the unfinished
// tail of each read is kept for the next one; comments (pings) are skipped.
export async function* chatEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value ?? new Uint8Array(), { stream: !done });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      let id = null;
      const data = [];
      for (const line of block.split('\n')) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const value = line.slice(colon + (line[colon + 1] === ' ' ? 2 : 1));
        if (line.startsWith('event:')) name = value;
        else if (line.startsWith('id:')) id = Number(value);
        else if (line.startsWith('data:')) data.push(value);
      }
      if (data.length) yield { name, id, data: JSON.parse(data.join('\n')) };
    }
    if (done) return;
  }
}
