// aidstation's pages: the events list and an event page (details, waypoints and the AI
// Assistant). A small client-side router keeps URLs real: /events/{id} can be reloaded.

import { ApiError, api, explain } from './api.js';
import { AssistantPanel } from './chat.js';
import { downloadMenu, element } from './dom.js';
import { usagePage } from './usage.js';

const main = document.getElementById('main');
const WAYPOINT_TYPES = ['checkpoint', 'food', 'water', 'rest'];

function field(label, input) {
  return element('label', { class: 'field' }, element('span', {}, label), input);
}

function formError() {
  return element('p', { class: 'form-error', role: 'alert', hidden: true });
}

function showFormError(node, error) {
  node.textContent = explain(error);
  node.hidden = false;
}

const formatDate = (iso) => (iso ? new Date(iso).toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }) : 'No date');
const formatMiles = (miles) => (typeof miles === 'number' ? `${miles.toFixed(1)} mi` : '—');
const formatDuration = (minutes) => (typeof minutes === 'number' ? `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min` : '—');
const numberOrNull = (value) => (value === '' ? null : Number(value));

export function navigate(path) {
  if (path !== location.pathname) history.pushState({}, '', path);
  route();
}

function link(path, ...children) {
  return element('a', { href: path, onclick: (e) => { if (!e.metaKey && !e.ctrlKey) { e.preventDefault(); navigate(path); } } }, ...children);
}

// The question box on an event page, the page's content elsewhere. Focused by script: a
// `#fragment` would be a history entry and, with this router, a page change.
function focusTarget() {
  return document.getElementById('question') ?? main;
}

function jumpToQuestion(e) {
  e.preventDefault();
  const target = focusTarget();
  target.focus();
  target.scrollIntoView({ block: 'nearest' });
}

const skipLink = document.querySelector('.skip-link');
skipLink.addEventListener('click', jumpToQuestion);

function setPage(title, skipText) {
  document.title = title;
  skipLink.textContent = skipText;
}

async function eventsPage() {
  setPage('Events · aidstation', 'Skip to content');
  const list = element('ul', { class: 'event-list', 'aria-label': 'Events', 'aria-busy': 'true' },
    element('li', { class: 'loading' }, 'Loading events…'));
  const error = formError();
  const name = element('input', { name: 'name', required: true, maxlength: '200', placeholder: 'Western States 100' });
  const date = element('input', { name: 'planned_date', type: 'date' });
  const distance = element('input', { name: 'distance', type: 'number', min: '0', step: '0.1', placeholder: '100.2' });
  const hours = element('input', { name: 'target_hours', type: 'number', min: '0', step: '1', placeholder: '24' });
  const minutes = element('input', { name: 'target_minutes', type: 'number', min: '0', max: '59', step: '1', placeholder: '0' });
  const form = element('form', {
    class: 'card create-event', 'aria-label': 'New event',
    onsubmit: async (e) => {
      e.preventDefault();
      error.hidden = true;
      const total = (Number(hours.value || 0) * 60) + Number(minutes.value || 0);
      try {
        await api('/api/events', {
          method: 'POST',
          body: {
            name: name.value,
            planned_date: date.value ? `${date.value}T00:00:00Z` : null,
            distance: numberOrNull(distance.value),
            target_duration_minutes: total > 0 ? total : null,
          },
        });
        form.reset();
        await load();
      } catch (err) {
        showFormError(error, err);
      }
    },
  },
  element('h2', {}, 'New event'),
  element('div', { class: 'field-row' }, field('Name', name), field('Date', date)),
  element('div', { class: 'field-row' }, field('Distance (miles)', distance), field('Target hours', hours), field('Target minutes', minutes)),
  error,
  element('button', { type: 'submit', class: 'primary' }, 'Create event'));

  async function load() {
    let events;
    try {
      events = await api('/api/events');
    } catch {
      list.replaceChildren(element('li', { class: 'form-error', role: 'alert' }, 'Your events could not be loaded. ',
        element('button', { type: 'button', class: 'link-button', onclick: () => load() }, 'Retry')));
      return;
    } finally {
      list.removeAttribute('aria-busy');
    }
    if (!events.length) {
      list.replaceChildren(element('li', { class: 'muted' }, 'No events yet: create your first race below.'));
      return;
    }
    list.replaceChildren(...events.map((event) => element('li', { class: 'card event-item' },
      element('div', {},
        element('h2', {}, link(`/events/${event.id}`, event.name)),
        element('p', { class: 'muted' }, `${formatDate(event.planned_date)} · ${formatMiles(event.distance)}`)),
      element('button', {
        type: 'button', class: 'danger', 'aria-label': `Delete event ${event.name}`,
        onclick: async () => {
          if (!window.confirm(`Delete "${event.name}" with its waypoints and chats?`)) return;
          try {
            await api(`/api/events/${event.id}`, { method: 'DELETE' });
          } catch (err) {
            window.alert(`The event was not deleted. ${explain(err)}`);
          }
          await load();
        },
      }, 'Delete'))));
  }

  main.replaceChildren(element('section', { class: 'page' },
    element('div', { class: 'page-head' }, element('h1', {}, 'Your events'), link('/usage', 'Usage')),
    list, form));
  await load();
}

function waypointForm(eventId, onSaved) {
  const error = formError();
  const name = element('input', { name: 'name', required: true, maxlength: '200', placeholder: 'Robinson Flat' });
  const type = element('select', { name: 'waypoint_type' }, ...WAYPOINT_TYPES.map((t) => element('option', { value: t }, t)));
  const distance = element('input', { name: 'distance_from_start', type: 'number', min: '0', step: '0.1' });
  const stop = element('input', { name: 'stop_time_minutes', type: 'number', min: '0', step: '1' });
  const comments = element('input', { name: 'comments', maxlength: '10000', placeholder: 'Drop bag, ice, soup…' });
  const submit = element('button', { type: 'submit', class: 'primary' }, 'Add waypoint');
  const cancel = element('button', { type: 'button', hidden: true, onclick: () => edit(null) }, 'Cancel');
  let editing = null;

  const form = element('form', {
    class: 'waypoint-form', 'aria-label': 'Waypoint',
    onsubmit: async (e) => {
      e.preventDefault();
      error.hidden = true;
      const body = {
        name: name.value,
        waypoint_type: type.value,
        distance_from_start: numberOrNull(distance.value),
        stop_time_minutes: numberOrNull(stop.value),
        comments: comments.value || null,
      };
      try {
        if (editing) await api(`/api/waypoints/${editing}`, { method: 'PUT', body });
        else await api('/api/waypoints', { method: 'POST', body: { ...body, event_id: eventId } });
        edit(null);
        await onSaved();
      } catch (err) {
        showFormError(error, err);
      }
    },
  },
  element('div', { class: 'field-row' }, field('Name', name), field('Type', type)),
  element('div', { class: 'field-row' }, field('Mile', distance), field('Stop (min)', stop)),
  field('Comments', comments),
  error,
  element('div', { class: 'actions' }, submit, cancel));

  function edit(waypoint) {
    editing = waypoint ? waypoint.id : null;
    form.reset();
    if (waypoint) {
      name.value = waypoint.name;
      type.value = waypoint.waypoint_type;
      distance.value = waypoint.distance_from_start ?? '';
      stop.value = waypoint.stop_time_minutes ?? '';
      comments.value = waypoint.comments ?? '';
      name.focus();
    }
    submit.textContent = waypoint ? 'Save waypoint' : 'Add waypoint';
    cancel.hidden = !waypoint;
  }
  return { form, edit };
}

// Import: a file from ChatGPT, Open WebUI or aidstation, sent with its progress shown (a
// 50 MiB export takes a while), then what was imported, what was already here and what
// was skipped. `imported()` is called when chats were added.
function chatImporter(eventId, imported) {
  const progress = element('progress', { class: 'import-progress', max: '100', hidden: true });
  const report = element('div', { class: 'import-report', role: 'status', 'aria-live': 'polite' });
  const input = element('input', {
    type: 'file', class: 'import-file', accept: '.json,.zip,application/json,application/zip', hidden: true,
    onchange: () => {
      const file = input.files[0];
      input.value = '';
      if (file) send(file);
    },
  });
  const button = element('button', { type: 'button', class: 'icon-button import-chats', onclick: () => input.click() }, 'Import chats…');

  function send(file) {
    const request = new XMLHttpRequest();
    request.open('POST', `/api/chat/import?event_id=${encodeURIComponent(eventId)}`);
    request.setRequestHeader('content-type', file.type || 'application/octet-stream');
    request.responseType = 'json';
    progress.hidden = false;
    progress.value = 0;
    button.disabled = true;
    report.textContent = `Sending ${file.name}…`;
    request.upload.onprogress = (e) => {
      if (e.lengthComputable) progress.value = Math.round((e.loaded / e.total) * 100);
    };
    request.upload.onload = () => {
      progress.removeAttribute('value');
      report.textContent = `Reading ${file.name}…`;
    };
    const done = () => {
      progress.hidden = true;
      button.disabled = false;
    };
    request.onerror = () => {
      done();
      report.replaceChildren(element('p', { class: 'form-error' }, explain(null)));
    };
    request.onload = () => {
      done();
      const body = request.response ?? {};
      if (request.status !== 200) {
        if (request.status === 401) window.dispatchEvent(new CustomEvent('aidstation:sign-in'));
        report.replaceChildren(element('p', { class: 'form-error' }, `Not imported. ${explain(new ApiError(request.status, body.detail ?? request.statusText))}`));
        return;
      }
      const chats = (n) => (n === 1 ? '1 chat' : `${n} chats`);
      report.replaceChildren(
        element('p', {}, `Imported ${chats(body.imported)} from ${file.name}${body.duplicates ? `; ${chats(body.duplicates)} already here` : ''}.`),
        body.skipped.length ? element('p', { class: 'muted' }, `Skipped ${chats(body.skipped.length)}:`) : null,
        body.skipped.length ? element('ul', { class: 'import-skipped' }, ...body.skipped.map((s) => element('li', {}, `${s.title ?? `Conversation ${s.index + 1}`}: ${s.reason}`))) : null);
      if (body.imported) imported();
    };
    request.send(file);
  }
  return element('span', { class: 'chat-import' }, button, input, progress, report);
}

// The event, or null when it cannot be had (the page then says why).
async function loadEvent(eventId) {
  try {
    return await api(`/api/events/${encodeURIComponent(eventId)}`);
  } catch (err) {
    const text = err instanceof ApiError && (err.status === 404 || err.status === 400) ? 'This event does not exist (any more).' : 'The event could not be loaded. Reload the page to try again.';
    main.replaceChildren(element('section', { class: 'page' }, element('p', { class: 'form-error', role: 'alert' }, text), link('/', '← All events')));
    return null;
  }
}

async function eventUsagePage(eventId) {
  const event = await loadEvent(eventId);
  if (!event) return;
  setPage(`Usage · ${event.name} · aidstation`, 'Skip to content');
  await usagePage(main, event, link(`/events/${encodeURIComponent(event.id)}`, `← ${event.name}`));
}

async function eventPage(eventId) {
  const event = await loadEvent(eventId);
  if (!event) return;
  setPage(`${event.name} · aidstation`, 'Skip to the question box');
  const waypoints = element('ol', { class: 'waypoints', 'aria-label': 'Waypoints', 'aria-busy': 'true' },
    element('li', { class: 'loading' }, 'Loading waypoints…'));
  const { form, edit } = waypointForm(event.id, () => loadWaypoints());

  async function loadWaypoints() {
    let items;
    try {
      items = await api(`/api/events/${event.id}/waypoints`);
    } catch {
      waypoints.replaceChildren(element('li', { class: 'form-error', role: 'alert' }, 'The waypoints could not be loaded. ',
        element('button', { type: 'button', class: 'link-button', onclick: () => loadWaypoints() }, 'Retry')));
      return;
    } finally {
      waypoints.removeAttribute('aria-busy');
    }
    if (!items.length) {
      waypoints.replaceChildren(element('li', { class: 'muted' }, 'No waypoints yet.'));
      return;
    }
    waypoints.replaceChildren(...items.map((w) => element('li', { class: 'waypoint' },
      element('div', { class: 'waypoint-main' },
        element('strong', {}, w.name),
        element('span', { class: `tag ${w.waypoint_type}` }, w.waypoint_type),
        element('span', { class: 'muted' }, [
          typeof w.distance_from_start === 'number' ? `mile ${w.distance_from_start.toFixed(1)}` : null,
          typeof w.stop_time_minutes === 'number' ? `${w.stop_time_minutes} min stop` : null,
        ].filter(Boolean).join(' · '))),
      w.comments ? element('p', { class: 'waypoint-comments' }, w.comments) : null,
      element('div', { class: 'actions' },
        element('button', { type: 'button', 'aria-label': `Edit waypoint ${w.name}`, onclick: () => edit(w) }, 'Edit'),
        element('button', {
          type: 'button', class: 'danger', 'aria-label': `Delete waypoint ${w.name}`,
          onclick: async () => {
            if (!window.confirm(`Delete the waypoint "${w.name}"?`)) return;
            try {
              await api(`/api/waypoints/${w.id}`, { method: 'DELETE' });
            } catch (err) {
              window.alert(`The waypoint was not deleted. ${explain(err)}`);
            }
            await loadWaypoints();
          },
        }, 'Delete')))));
  }

  const panel = element('section', { class: 'assistant-panel card', 'aria-labelledby': 'assistant-title' });
  const exported = (format) => `/api/chat/export?event_id=${encodeURIComponent(event.id)}&format=${format}`;
  const importer = chatImporter(event.id, () => assistant.chatsChanged());
  // Phones get the chat first (right under the event's name); wide screens put it beside
  // the plan, the whole height of the window.
  main.replaceChildren(element('div', { class: 'event-layout' },
    element('header', { class: 'event-head' },
      element('nav', { class: 'event-links', 'aria-label': 'Event' },
        link('/', '← All events'), link(`/events/${encodeURIComponent(event.id)}/usage`, 'Usage')),
      element('h1', {}, event.name),
      element('dl', { class: 'facts' },
        element('div', {}, element('dt', {}, 'Date'), element('dd', {}, formatDate(event.planned_date))),
        element('div', {}, element('dt', {}, 'Distance'), element('dd', {}, formatMiles(event.distance))),
        element('div', {}, element('dt', {}, 'Target time'), element('dd', {}, formatDuration(event.target_duration_minutes)))),
      element('div', { class: 'chat-files', role: 'group', 'aria-label': 'Chats of this event as files' },
        downloadMenu('Export chats', 'export-chats', [['All chats as JSON', exported('json')], ['All chats as Markdown (ZIP)', exported('zip')]]),
        importer)),
    panel,
    element('section', { class: 'event-details', 'aria-labelledby': 'waypoints-title' },
      element('h2', { id: 'waypoints-title' }, 'Waypoints'),
      waypoints,
      element('div', { class: 'card' }, element('h3', {}, 'Add or edit a waypoint'), form))));
  const assistant = new AssistantPanel(panel, event, navigate);
  await Promise.all([loadWaypoints(), assistant.restore()]);
}

async function route() {
  const match = location.pathname.match(/^\/events\/([^/]+)\/?$/);
  const usage = location.pathname.match(/^\/events\/([^/]+)\/usage\/?$/);
  if (match) await eventPage(decodeURIComponent(match[1]));
  else if (usage) await eventUsagePage(decodeURIComponent(usage[1]));
  else if (/^\/usage\/?$/.test(location.pathname)) {
    setPage('Usage · aidstation', 'Skip to content');
    await usagePage(main, null, link('/', '← All events'));
  } else await eventsPage();
}

// This aidstation has an access token and this browser is not signed in: the token, once,
// for a cookie the server sets (the page never keeps the token itself).
let signingIn = false;
function signInPage() {
  if (signingIn) return;
  signingIn = true;
  setPage('Sign in · aidstation', 'Skip to content');
  const error = formError();
  const token = element('input', { name: 'token', type: 'password', required: true, autocomplete: 'current-password', maxlength: '1000' });
  const form = element('form', {
    class: 'card sign-in', 'aria-label': 'Sign in',
    onsubmit: async (e) => {
      e.preventDefault();
      error.hidden = true;
      try {
        await api('/api/auth/session', { method: 'POST', body: { token: token.value } });
      } catch (err) {
        showFormError(error, err);
        token.select();
        return;
      }
      signingIn = false;
      await route();
    },
  },
  element('h1', {}, 'Sign in'),
  element('p', { class: 'muted' }, 'This aidstation is private. Enter its access token (AIDSTATION_TOKEN).'),
  field('Access token', token),
  error,
  element('button', { type: 'submit', class: 'primary' }, 'Sign in'));
  main.replaceChildren(element('section', { class: 'page' }, form));
  token.focus();
}

window.addEventListener('aidstation:sign-in', signInPage);
window.addEventListener('popstate', route);
route();
