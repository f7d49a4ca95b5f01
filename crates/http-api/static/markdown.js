// Model answers as Markdown, made safe twice over. marked (vendor/, see VERSIONS) parses
// the Markdown with raw HTML turned into text: an answer's `<img onerror=…>` shows as
// characters, never as markup. DOMPurify then keeps only the tags Markdown makes and links
// to http(s) and mailto, so nothing that reaches `innerHTML` can run script.

import { Marked } from './vendor/marked.esm.js';
import DOMPurify from './vendor/purify.es.mjs';

const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);

const marked = new Marked({
  gfm: true,
  breaks: true,
  renderer: {
    html: ({ text }) => escapeHtml(text),
  },
  // The panel's own headings are h2 and h3: an answer's start below them.
  walkTokens: (token) => {
    if (token.type === 'heading') token.depth = Math.min(token.depth + 2, 6);
  },
});

const POLICY = {
  ALLOWED_TAGS: ['p', 'br', 'strong', 'em', 'del', 'code', 'pre', 'blockquote', 'hr', 'ul', 'ol', 'li',
    'h3', 'h4', 'h5', 'h6', 'a', 'table', 'thead', 'tbody', 'tr', 'th', 'td'],
  ALLOWED_ATTR: ['href', 'title', 'start', 'align'],
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
};

// Links leave the app in a tab of their own, and tell the other site nothing.
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.tagName === 'A' && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  }
});

export function renderMarkdown(source) {
  return DOMPurify.sanitize(marked.parse(source ?? '').trim(), POLICY);
}
