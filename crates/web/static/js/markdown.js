// A model's answer as Markdown (CommonMark, GFM tables and strikethrough,
// fenced code with highlighting), built as DOM nodes from markdown-it's tokens.
//
// Nothing here parses HTML from the model: markdown-it runs with `html: false`
// (raw HTML stays text), and the tokens are turned into elements from a short
// list, text through text nodes. So no sanitizer is needed and the page keeps
// its rule of never using innerHTML. Links go out only to http(s) and mailto,
// in a new tab without opener or referrer; remote images are links that open in a new tab;
// direction overrides and other invisible characters are shown (`visible`).
import markdownit from "../vendor/markdown-it.min.js";
import hljs from "../vendor/highlight.min.js";
import { el, visible } from "./dom.js";

const md = markdownit({ html: false, linkify: true, typographer: false });

// Block and inline tags a token may become; anything else becomes a span.
const TAGS = new Set([
  "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "blockquote", "table", "thead", "tbody", "tr",
  "th", "td", "strong", "em", "s", "code", "hr", "br",
]);

const SAFE_LINK = /^(https?:|mailto:)/i;

/** The http(s) or mailto URL `href` names, or null. */
export function safeUrl(href) {
  let url;
  try {
    url = new URL(String(href ?? ""));
  } catch {
    return null;
  }
  return SAFE_LINK.test(url.protocol) ? url.href : null;
}

/** Put `source`, rendered, in place of what `container` holds. */
export function renderMarkdown(container, source) {
  let tokens;
  try {
    tokens = md.parse(String(source ?? ""), {});
  } catch {
    container.replaceChildren(el("p", {}, visible(source)));
    return;
  }
  const root = document.createDocumentFragment();
  build(root, tokens);
  container.replaceChildren(root);
}

/** Append the elements `tokens` describe to `parent`. */
function build(parent, tokens) {
  const stack = [parent];
  const top = () => stack[stack.length - 1];
  for (const token of tokens) {
    if (token.nesting === 1) {
      const node = opening(token);
      top().append(node);
      stack.push(node);
    } else if (token.nesting === -1) {
      if (stack.length > 1) stack.pop();
    } else {
      const node = leaf(token);
      if (node) top().append(node);
    }
  }
}

/** The element an `_open` token starts. */
function opening(token) {
  if (token.type === "link_open") {
    const href = safeUrl(token.attrGet("href"));
    if (!href) return el("span", { class: "link-refused", title: "Link not followed: only http(s) and mailto links are" });
    return el("a", { href, target: "_blank", rel: "noopener noreferrer nofollow", title: visible(href) });
  }
  const tag = TAGS.has(token.tag) ? token.tag : "span";
  const attrs = {};
  if (tag === "ol") {
    const start = Number.parseInt(token.attrGet("start") ?? "", 10);
    if (Number.isFinite(start) && start !== 1) attrs.start = String(start);
  }
  if (tag === "th" || tag === "td") {
    // markdown-it puts alignment in a style attribute, which the CSP forbids.
    const align = /text-align:\s*(left|center|right)/.exec(token.attrGet("style") ?? "");
    if (align) attrs.class = `align-${align[1]}`;
  }
  if (tag === "table") {
    // A wide table scrolls in its own box rather than widening the thread.
    return el("table", attrs);
  }
  return el(tag, attrs);
}

/** The node a token without children-of-its-own stands for. */
function leaf(token) {
  switch (token.type) {
    case "inline": {
      const span = document.createDocumentFragment();
      build(span, token.children ?? []);
      return span;
    }
    case "text":
      return document.createTextNode(visible(token.content));
    case "softbreak":
      return document.createTextNode("\n");
    case "hardbreak":
      return el("br");
    case "hr":
      return el("hr");
    case "code_inline":
      return el("code", {}, visible(token.content));
    case "fence":
    case "code_block":
      return codeBlock(token.content, (token.info ?? "").trim().split(/\s+/)[0]);
    case "image":
      return imagePlaceholder(token);
    default:
      // html_block, html_inline (not produced with html: false) and anything new: as text.
      return token.content ? document.createTextNode(visible(token.content)) : null;
  }
}

// Highlighted code by language and text: a streaming answer renders its
// finished blocks again on every frame.
const highlighted = new Map();

/** A fenced code block with its language, highlighting and a Copy button. */
export function codeBlock(code, language) {
  const lang = language && hljs.getLanguage(language) ? language : null;
  const codeNode = el("code", { class: lang ? `hljs language-${lang}` : "hljs" });
  codeNode.append(...highlight(code, lang));
  return el(
    "div",
    { class: "code-block" },
    el(
      "div",
      { class: "code-head small" },
      el("span", { class: "code-lang" }, visible(language || "text")),
      copyButton(() => code, "Copy code"),
    ),
    el("pre", { tabindex: "0" }, codeNode),
  );
}

function highlight(code, lang) {
  if (!lang) return [visible(code)];
  const key = `${lang}\u0000${code}`;
  let html = highlighted.get(key);
  if (html === undefined) {
    try {
      html = hljs.highlight(code, { language: lang, ignoreIllegals: true }).value;
    } catch {
      html = null;
    }
    if (highlighted.size > 200) highlighted.clear();
    highlighted.set(key, html);
  }
  if (html === null) return [visible(code)];
  // highlight.js escapes the code and wraps tokens in <span class="hljs-…">;
  // its output is read in an inert document and only those spans and the
  // text are carried over.
  const doc = new DOMParser().parseFromString(`<body>${html}</body>`, "text/html");
  return spans(doc.body);
}

function spans(node) {
  const out = [];
  for (const child of node.childNodes) {
    if (child.nodeType === Node.TEXT_NODE) out.push(visible(child.textContent));
    else if (child.nodeType === Node.ELEMENT_NODE) {
      const classes = [...child.classList].filter((c) => /^(hljs-[\w-]+|[\w-]+_)$/.test(c));
      const span = el("span", classes.length ? { class: classes.join(" ") } : {});
      span.append(...spans(child));
      out.push(span);
    }
  }
  return out;
}

/**
 * A remote image: never loaded on the page (the CSP allows no remote image), but
 * a link naming its host that opens the image in a new tab, without opener or referrer.
 */
function imagePlaceholder(token) {
  const alt = visible(token.children?.map((c) => c.content).join("") || token.content || "");
  const src = safeUrl(token.attrGet("src"));
  if (!src || src.startsWith("mailto:")) {
    return el("span", { class: "image-refused muted" }, `[image${alt ? `: ${alt}` : ""} — not shown]`);
  }
  const host = new URL(src).host;
  return el(
    "a",
    { class: "remote-image", href: src, target: "_blank", rel: "noopener noreferrer", title: visible(src) },
    `Open image from ${visible(host)}`,
    alt ? el("span", { class: "muted" }, ` (${alt})`) : null,
  );
}

// ---- copying ----

/** Put `text` on the clipboard; the fallback selects a hidden textarea and copies. */
export async function copyText(text) {
  if (navigator.clipboard?.writeText && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(text);
      return true;
    } catch {
      // Refused (no permission, not focused): try the old way.
    }
  }
  const area = el("textarea", { class: "copy-buffer", readonly: true, "aria-hidden": "true", tabindex: "-1" });
  area.value = text;
  document.body.append(area);
  area.select();
  let done = false;
  try {
    done = document.execCommand("copy");
  } catch {
    done = false;
  }
  area.remove();
  return done;
}

/** A Copy button: copies what `value()` returns and says "Copied" for a moment. */
export function copyButton(value, label = "Copy") {
  const button = el("button", { type: "button", class: "copy small", "aria-label": label, title: label }, "Copy");
  button.addEventListener("click", async (event) => {
    event.preventDefault();
    event.stopPropagation();
    const ok = await copyText(value());
    button.textContent = ok ? "Copied" : "Copy failed";
    button.dataset.copied = String(ok);
    clearTimeout(button.resetTimer);
    button.resetTimer = setTimeout(() => {
      button.textContent = "Copy";
      delete button.dataset.copied;
    }, 2000);
  });
  return button;
}
