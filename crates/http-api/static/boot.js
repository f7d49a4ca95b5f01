// The page's first API calls, started as soon as this module arrives: it imports nothing,
// so they do not wait for the rest of the app's modules (index.html loads it `async`, and
// api.js takes the responses with `prefetched`). The same module URL is one module
// instance, so both see the same calls.

const started = new Map();

function start(path) {
  const response = fetch(path, { headers: { accept: 'application/json' } });
  // A call nobody takes (the page changed its mind) must not report an unhandled failure.
  response.catch(() => {});
  started.set(path, response);
}

const page = location.pathname.match(/^\/events\/([^/]+)\/?$/);
if (page) {
  const id = encodeURIComponent(decodeURIComponent(page[1]));
  start(`/api/events/${id}`);
  start(`/api/events/${id}/waypoints`);
  const chat = localStorage.getItem(`chat_session_${decodeURIComponent(page[1])}`);
  if (chat) start(`/api/chat/sessions/${encodeURIComponent(chat)}`);
} else if (location.pathname === '/') {
  start('/api/events');
}

// The response to `GET path` if it was started here and not yet taken; taken once, so a
// later call (after an edit, say) asks the server again.
export function prefetched(path) {
  const response = started.get(path);
  started.delete(path);
  return response;
}
