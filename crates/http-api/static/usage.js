// The Usage view, for one event or all: totals, the share of interrupted answers, a chart of
// questions and tokens per day (or week), and tokens per model.
//
// The chart is a small SVG drawn here rather than a chart library: two series on one time
// axis need about a hundred lines, a library would be the largest file the app loads, and
// the page's policy forbids the inline styles most of them write.

import { api, explain } from './api.js';
import { element } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const RANGES = [['30', 'Last 30 days'], ['90', 'Last 90 days'], ['365', 'Last year'], ['all', 'All time']];

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  node.append(...children);
  return node;
}

const count = (n) => n.toLocaleString();
const millis = (ms) => (ms === null ? '—' : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`);
const day = (iso) => new Date(`${iso}T00:00:00Z`).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

// `YYYY-MM-DD` of the day `days` before today (UTC).
function daysAgo(days) {
  return new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);
}

// A round number at or above `n`, for an axis' top.
function niceTop(n) {
  if (n <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 5, 10].map((m) => m * step).find((v) => v >= n);
}

// Questions as bars (left axis), tokens as a line (right axis), one slot per bucket.
function chart(series, bucket) {
  const width = 720;
  const height = 260;
  const pad = { left: 44, right: 56, top: 12, bottom: 28 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const tokens = series.map((p) => p.prompt_tokens + p.completion_tokens);
  const qTop = niceTop(Math.max(0, ...series.map((p) => p.questions)));
  const tTop = niceTop(Math.max(0, ...tokens));
  const slot = plotW / Math.max(1, series.length);
  const y = (value, top) => pad.top + plotH - (value / top) * plotH;
  const total = series.reduce((sum, p) => sum + p.questions, 0);
  const tokenTotal = tokens.reduce((sum, t) => sum + t, 0);
  const figure = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, class: 'usage-chart', role: 'img',
    'aria-label': `${count(total)} questions and ${count(tokenTotal)} tokens over ${series.length} ${bucket === 'week' ? 'weeks' : 'days'}`,
  });
  for (const fraction of [0, 0.5, 1]) {
    const at = pad.top + plotH - fraction * plotH;
    figure.append(svg('line', { x1: pad.left, x2: width - pad.right, y1: at, y2: at, class: 'grid' }));
    // Questions are whole: no label halfway up an axis of one.
    if (Number.isInteger(qTop * fraction)) figure.append(svg('text', { x: pad.left - 6, y: at + 4, 'text-anchor': 'end', class: 'axis' }, count(qTop * fraction)));
    if (Number.isInteger(tTop * fraction)) figure.append(svg('text', { x: width - pad.right + 6, y: at + 4, class: 'axis' }, count(tTop * fraction)));
  }
  series.forEach((p, i) => {
    const h = (p.questions / qTop) * plotH;
    const bar = svg('rect', { x: pad.left + i * slot + slot * 0.15, y: pad.top + plotH - h, width: Math.max(1, slot * 0.7), height: h, class: 'bar' },
      svg('title', {}, `${day(p.start)}: ${count(p.questions)} questions, ${count(tokens[i])} tokens${p.interrupted ? `, ${p.interrupted} interrupted` : ''}`));
    figure.append(bar);
  });
  const points = series.map((p, i) => `${pad.left + (i + 0.5) * slot},${y(tokens[i], tTop)}`).join(' ');
  if (series.length) figure.append(svg('polyline', { points, class: 'tokens-line' }));
  const labels = Math.min(series.length, 6);
  for (let k = 0; k < labels; k += 1) {
    const i = labels === 1 ? 0 : Math.round((k * (series.length - 1)) / (labels - 1));
    figure.append(svg('text', { x: pad.left + (i + 0.5) * slot, y: height - 8, 'text-anchor': 'middle', class: 'axis' }, day(series[i].start)));
  }
  return figure;
}

function totals(stats) {
  const t = stats.totals;
  const answers = t.answers.complete + t.answers.interrupted + t.answers.generating;
  const share = answers ? `${Math.round((t.answers.interrupted / answers) * 100)}%` : '—';
  const tokens = t.tokens.reduce((sum, m) => sum + m.prompt_tokens + m.completion_tokens, 0);
  const item = (label, value, cls) => element('div', { class: `usage-total ${cls ?? ''}` }, element('dt', {}, label), element('dd', {}, value));
  return element('dl', { class: 'usage-totals' },
    item('Chats started', count(t.chats)),
    item('Questions', count(t.questions)),
    item('Answers', count(answers)),
    item('Interrupted', `${share} (${count(t.answers.interrupted)})`, 'interrupted-share'),
    item('Tokens', count(tokens)),
    item('Median first text', millis(t.median_first_token_ms)),
    item('Median answer time', millis(t.median_duration_ms)));
}

function models(stats) {
  if (!stats.totals.tokens.length) return null;
  return element('table', { class: 'usage-models' },
    element('caption', {}, 'Tokens per model'),
    element('thead', {}, element('tr', {}, ...['Model', 'Answers', 'Prompt', 'Completion'].map((h) => element('th', { scope: 'col' }, h)))),
    element('tbody', {}, ...stats.totals.tokens.map((m) => element('tr', {},
      element('th', { scope: 'row' }, m.model ?? 'none named'),
      element('td', {}, count(m.answers)), element('td', {}, count(m.prompt_tokens)), element('td', {}, count(m.completion_tokens))))));
}

// Renders the view into `main`. `event`: the event whose chats are counted, or null for all;
// `back`: the link back (made by the router).
export async function usagePage(main, event, back) {
  const range = element('select', { name: 'range', 'aria-label': 'Range' }, ...RANGES.map(([value, label]) => element('option', { value }, label)));
  const bucket = element('select', { name: 'bucket', 'aria-label': 'Each point' }, element('option', { value: 'day' }, 'Per day'), element('option', { value: 'week' }, 'Per week'));
  const body = element('div', { class: 'usage-body', 'aria-live': 'polite' }, element('p', { class: 'loading' }, 'Loading usage…'));
  const load = async () => {
    const params = new URLSearchParams({ bucket: bucket.value });
    if (event) params.set('event_id', event.id);
    if (range.value !== 'all') {
      params.set('from', daysAgo(Number(range.value) - 1));
      params.set('to', daysAgo(0));
    }
    body.setAttribute('aria-busy', 'true');
    let stats;
    try {
      stats = await api(`/api/chat/stats?${params}`);
    } catch (error) {
      body.replaceChildren(element('p', { class: 'form-error', role: 'alert' }, `Usage could not be loaded: ${explain(error)} `,
        element('button', { type: 'button', class: 'link-button', onclick: load }, 'Retry')));
      return;
    } finally {
      body.removeAttribute('aria-busy');
    }
    const empty = stats.totals.questions === 0;
    body.replaceChildren(
      totals(stats),
      empty ? element('p', { class: 'muted usage-empty' }, 'No questions in this range yet.')
        : element('figure', { class: 'usage-figure card' },
          chart(stats.series, stats.bucket),
          element('figcaption', {}, element('span', { class: 'key bar-key' }, 'Questions'), element('span', { class: 'key line-key' }, 'Tokens'))),
      models(stats));
  };
  range.addEventListener('change', load);
  bucket.addEventListener('change', load);
  main.replaceChildren(element('section', { class: 'page usage' },
    back,
    element('h1', {}, event ? `Usage · ${event.name}` : 'Usage · all events'),
    element('div', { class: 'usage-controls', role: 'group', 'aria-label': 'What to show' }, range, bucket),
    body));
  await load();
}
