// Building the DOM from data that third-party servers control (tool names,
// descriptions, results): text goes in as text nodes and attributes through
// setAttribute, never as HTML, so nothing they send can become markup.

// Direction overrides and isolates, zero-width marks, the soft hyphen, tag
// characters (which spell ASCII a model reads and a person does not see), and C0/C1
// controls other than tab and newline: shown as \u{…} so they cannot disguise the
// text around them. The same set as core::untrusted::is_invisible.
const HIDDEN = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u{e0000}-\u{e007f}]/gu;

export function visible(text) {
  return String(text ?? "").replace(HIDDEN, (c) => `\\u{${c.codePointAt(0).toString(16).padStart(4, "0")}}`);
}

// el("p", { class: "muted", dataset: { tool: name } }, "text", child, …)
// Strings become text nodes; null, undefined and false are skipped.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "value" || key === "checked") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  return append(node, children);
}

// Put `children` (nodes, strings, nested arrays; null, undefined and false
// skipped) in place of what `node` holds.
export function fill(node, ...children) {
  node.replaceChildren();
  return append(node, children);
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function pretty(value) {
  return JSON.stringify(value, null, 2) ?? "undefined";
}

// A JSON value, pretty-printed, as inert text.
export function jsonBlock(value, className = "json") {
  return el("pre", { class: className, tabindex: "0" }, visible(pretty(value)));
}

// A collapsible JSON value: <details><summary>title</summary><pre>…</pre></details>.
export function jsonDetails(title, value, attrs = {}) {
  return el("details", { class: "json-details", ...attrs }, el("summary", {}, title), jsonBlock(value));
}

const STEP_NAMES = {
  url: "URL",
  resolve: "Resolve the address",
  connect: "Connect",
  tls: "TLS",
  http_status: "HTTP status",
  content_type: "Content type",
  jsonrpc: "JSON-RPC",
  protocol: "MCP handshake",
  auth: "Authorization",
  start: "Start the command",
  tools: "List tools",
};

// The steps of a connection diagnosis (`details.steps`) as list items, each
// marked passed or failed, with its detail and, for a failure, the hint.
export function stepItems(steps) {
  return steps.map((step) =>
    el(
      "li",
      { class: "step", dataset: { ok: String(Boolean(step.ok)), step: step.step } },
      el("span", { class: "mark", "aria-label": step.ok ? "passed" : "failed" }, step.ok ? "✓" : "✗"),
      el(
        "div",
        {},
        el("strong", {}, STEP_NAMES[step.step] ?? visible(step.step)),
        " ",
        el("span", { class: "detail" }, visible(step.detail)),
        step.hint ? el("p", { class: "hint small" }, el("strong", {}, "Fix: "), visible(step.hint)) : null,
      ),
    ),
  );
}

// A call that needs the person's own connection to an app (an `auth_required`
// answer, or a chat call's `result.auth_required`): a Connect / Reconnect link to
// the app's OAuth start, with the scopes a server asked for when it wants more.
// Only a connector id and scopes come from the answer; the URL is built here.
// `returnTo`, a path of this site, is where the callback brings the person back
// (the app's page when absent).
export function connectButton(connectorId, state, scope, returnTo) {
  const id = String(connectorId ?? "");
  if (!/^[0-9a-f-]{36}$/i.test(id)) return null;
  const params = new URLSearchParams();
  if (scope) params.set("scope", String(scope));
  if (returnTo) params.set("return_to", returnTo);
  const query = params.toString() ? `?${params}` : "";
  const label = state === "needs_connect" ? "Connect" : state === "needs_scope" ? "Connect again to grant more access" : "Reconnect";
  return el("a", { class: "button primary connect-app", href: `/api/v1/connectors/${id}/oauth/start${query}` }, label);
}
