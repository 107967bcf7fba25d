// The host side of a tool call's widget (MCP Apps views and Apps SDK components).
//
// A widget is a document Switchboard serves at /widgets/{conversation}/{call},
// framed here with sandbox="allow-scripts allow-forms" (and the same sandbox in
// its Content-Security-Policy): it runs in an origin of its own, so it cannot read
// this page, its cookies or its API. It talks to this page only by postMessage,
// as MCP Apps `ui/*` JSON-RPC (the Apps SDK's `window.openai`, which Switchboard
// injects into its document, speaks the same). Messages are taken only from the
// widget's own frame, and nothing but `ui/initialize` before it is initialized.
// Everything it asks for goes through Switchboard's API under the call it belongs
// to, so the server decides: its app's tools only, writes after the person approves.

import { api } from "./api.js";
import { el, fill, pretty, visible } from "./dom.js";

const PROTOCOL = "2026-01-26";
const MIN_HEIGHT = 60;
const MAX_HEIGHT = 800;
const TEARDOWN_WAIT_MS = 500;

/** Every mounted widget, by its frame's window. */
const widgets = new Map();

window.addEventListener("message", (event) => {
  const widget = widgets.get(event.source);
  // Any other window (this page, another widget, a frame a widget opened): ignored.
  if (!widget) return;
  widget.receive(event.data);
});

function theme() {
  const chosen = document.documentElement.dataset.theme;
  if (chosen === "light" || chosen === "dark") return chosen;
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

export class RpcError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

/** `text` shortened for a label. */
function short(text, n = 120) {
  const s = visible(text);
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** The http(s) URL `raw` names, or null. */
function webUrl(raw) {
  try {
    const url = new URL(String(raw));
    return url.protocol === "https:" || url.protocol === "http:" ? url : null;
  } catch {
    return null;
  }
}

/**
 * What a widget of a conversation's call asks goes to the API under that call: its
 * tool calls (a write waits for the person's decision in the widget's box), its
 * resources and its state. `sendMessage(text)` posts a follow-up message as the
 * person (false when it cannot now).
 */
export function conversationHost(conversationId, callId, sendMessage) {
  const base = `/api/v1/conversations/${encodeURIComponent(conversationId)}/tool-calls/${encodeURIComponent(callId)}/widget`;
  return {
    src: `/widgets/${encodeURIComponent(conversationId)}/${encodeURIComponent(callId)}`,
    async callTool(widget, name, args) {
      let made;
      try {
        made = await api("POST", `${base}/calls`, { name, arguments: args });
      } catch (error) {
        throw new RpcError(-32000, error.message);
      }
      if (made.status === "awaiting_approval") made = await approval(widget, conversationId, made);
      if (made.status === "completed" && made.result && typeof made.result === "object") return made.result;
      const why = typeof made.result?.error === "string" ? made.result.error : `the call ended ${made.status}`;
      throw new RpcError(-32000, why);
    },
    readResource: (uri) => api("POST", `${base}/resources/read`, { uri }),
    saveState: (state) => api("PUT", `${base}/state`, { state }),
    sendMessage,
  };
}

/**
 * Mount the widget of `call` (a ToolCallView, or a call by hand, with `widget`)
 * whose requests `host` serves (see `conversationHost`). `app` names the app.
 * Returns the element to place after the call's card.
 */
export function mountWidget({ call, app, host }) {
  const frame = el("iframe", {
    class: "widget-iframe",
    sandbox: "allow-scripts allow-forms",
    src: host.src,
    title: `Widget of ${visible(app)}: ${visible(call.tool ?? call.name)}`,
    referrerpolicy: "no-referrer",
    allow: "",
  });
  frame.height = "160";
  const notes = el("div", { class: "widget-notes" });
  const close = el("button", { type: "button", class: "widget-close", hidden: true }, "Close full screen");
  const box = el(
    "section",
    { class: "widget", dataset: { call: call.id, kind: call.widget, mode: "inline" }, "aria-label": `Widget of ${visible(app)}` },
    el(
      "header",
      { class: "widget-head small" },
      el("span", { class: "widget-label" }, "Widget from ", el("strong", {}, visible(app)), " — not part of Switchboard"),
      close,
    ),
    frame,
    notes,
  );
  const widget = {
    box,
    frame,
    notes,
    call,
    app,
    host,
    initialized: false,
    mode: "inline",
    pending: new Map(),
    nextId: 1,
  };
  close.addEventListener("click", () => setMode(widget, "inline"));
  widget.receive = (data) => receive(widget, data).catch(() => {});
  // The frame's window exists once the frame is in the document (the caller
  // places it at once); it stays the same window for the frame's life.
  queueMicrotask(() => {
    if (frame.contentWindow) widgets.set(frame.contentWindow, widget);
  });
  return box;
}

function post(widget, message) {
  widget.frame.contentWindow?.postMessage({ jsonrpc: "2.0", ...message }, "*");
}

async function receive(widget, data) {
  if (!data || typeof data !== "object" || data.jsonrpc !== "2.0" || typeof data.method !== "string") {
    // A response to one of our requests (teardown) settles it; anything else malformed is dropped.
    if (data && typeof data === "object" && data.jsonrpc === "2.0" && "id" in data && widget.pending.has(data.id)) {
      widget.pending.get(data.id)(data);
      widget.pending.delete(data.id);
    }
    return;
  }
  const { id, method, params } = data;
  const isRequest = id !== undefined && id !== null && (typeof id === "string" || typeof id === "number");
  if (!widget.initialized && method !== "ui/initialize") return;
  if (method === "ui/notifications/initialized") {
    sendToolData(widget);
    return;
  }
  if (!isRequest) {
    notification(widget, method, params);
    return;
  }
  try {
    const result = await request(widget, method, params ?? {});
    post(widget, { id, result });
  } catch (error) {
    const code = error instanceof RpcError ? error.code : -32603;
    post(widget, { id, error: { code, message: String(error.message ?? error) } });
  }
}

function notification(widget, method, params) {
  if (method === "ui/notifications/size-changed") {
    const height = Number(params?.height);
    if (Number.isFinite(height) && widget.mode === "inline") {
      widget.frame.height = String(Math.round(Math.min(MAX_HEIGHT, Math.max(MIN_HEIGHT, height))));
    }
  } else if (method === "ui/notifications/request-teardown") {
    teardown(widget).then(() => widget.box.remove());
  }
  // Logging and anything newer: nothing to show.
}

async function request(widget, method, params) {
  switch (method) {
    case "ui/initialize":
      widget.initialized = true;
      return initializeResult(widget, params);
    case "tools/call":
      if (typeof params.name !== "string" || !params.name) throw new RpcError(-32602, "tools/call needs a tool name");
      return widget.host.callTool(widget, params.name, params.arguments ?? {});
    case "resources/read":
      if (typeof params.uri !== "string") throw new RpcError(-32602, "resources/read needs a uri");
      return widget.host.readResource(params.uri);
    case "ui/message":
      return message(widget, params);
    case "ui/open-link":
      return openLink(widget, params);
    case "ui/request-display-mode":
      return { mode: setMode(widget, params.mode) };
    case "switchboard/widget-state":
      await widget.host.saveState(params.state ?? null);
      return {};
    case "ping":
      return {};
    default:
      throw new RpcError(-32601, `Switchboard does not support ${method}`);
  }
}

function initializeResult(widget, params) {
  const asked = typeof params?.protocolVersion === "string" ? params.protocolVersion : PROTOCOL;
  return {
    protocolVersion: asked === PROTOCOL ? asked : PROTOCOL,
    hostInfo: { name: "Switchboard", version: "1" },
    hostCapabilities: { openLinks: {}, serverTools: {}, serverResources: {}, logging: {}, message: { text: {} } },
    hostContext: {
      theme: theme(),
      displayMode: widget.mode,
      availableDisplayModes: ["inline", "fullscreen"],
      containerDimensions: { maxHeight: MAX_HEIGHT, width: widget.frame.clientWidth || 600 },
      locale: navigator.language || "en",
      timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      platform: "web",
      userAgent: "Switchboard",
      toolInfo: { tool: { name: widget.call.tool ?? widget.call.name, inputSchema: { type: "object" } } },
    },
  };
}

function sendToolData(widget) {
  const args = widget.call.arguments && typeof widget.call.arguments === "object" ? widget.call.arguments : {};
  post(widget, { method: "ui/notifications/tool-input", params: { arguments: args } });
  if (widget.call.status === "completed" && widget.call.result && typeof widget.call.result === "object") {
    post(widget, { method: "ui/notifications/tool-result", params: widget.call.result });
  }
}

/**
 * Ask the person about a widget's write, in the widget's own box; resolves with
 * the call once decided (and, when approved, run).
 */
function approval(widget, conversationId, call) {
  return new Promise((resolve, reject) => {
    const decide = async (decision) => {
      for (const b of card.querySelectorAll("button")) b.disabled = true;
      try {
        const path = `/api/v1/conversations/${encodeURIComponent(conversationId)}/widget-calls/${encodeURIComponent(call.id)}/decision`;
        const decided = await api("POST", path, { decision });
        card.remove();
        resolve(decided);
      } catch (error) {
        fill(card.querySelector(".widget-approval-error"), visible(error.message));
        for (const b of card.querySelectorAll("button")) b.disabled = false;
        if (error.status === 409 || error.status === 404) {
          card.remove();
          reject(new RpcError(-32000, error.message));
        }
      }
    };
    const card = approvalCard(widget.app, call, decide);
    widget.notes.append(card);
    card.querySelector("button[data-decision=deny]").focus();
  });
}

/**
 * Ask the person, in the widget's box, whether its write `call` ({tool, arguments})
 * may run; resolves true or false. For calls by hand, where the person's own call
 * is what the server checks.
 */
export function confirmWrite(widget, call) {
  return new Promise((resolve) => {
    const card = approvalCard(widget.app, call, (decision) => {
      card.remove();
      resolve(decision === "approve");
    });
    widget.notes.append(card);
    card.querySelector("button[data-decision=deny]").focus();
  });
}

/** The card that asks about a widget's write: the app, the tool, its arguments, Approve and Deny. */
export function approvalCard(app, call, decide) {
  const card = el(
    "div",
    { class: "widget-approval", role: "group", "aria-label": "A widget asks to run a write action", dataset: { widgetCall: call.id } },
    el("p", {}, "The widget of ", el("strong", {}, visible(app)), " asks to run the write action ", el("code", {}, visible(call.tool)), "."),
    el("pre", { class: "json small", tabindex: "0" }, visible(pretty(call.arguments))),
    el(
      "div",
      { class: "actions" },
      el("button", { type: "button", dataset: { decision: "deny" } }, "Deny"),
      el("button", { type: "button", class: "primary", dataset: { decision: "approve" } }, "Approve"),
    ),
    el("p", { class: "widget-approval-error small", role: "alert" }),
  );
  for (const b of card.querySelectorAll("button")) b.addEventListener("click", () => decide(b.dataset.decision));
  return card;
}

async function message(widget, params) {
  const blocks = Array.isArray(params?.content) ? params.content : [];
  const text = blocks
    .filter((b) => b && b.type === "text" && typeof b.text === "string")
    .map((b) => b.text)
    .join("\n")
    .trim();
  if (params?.role !== "user" || !text) throw new RpcError(-32602, "ui/message needs role user and text content");
  const sent = await widget.host.sendMessage(text);
  return sent ? {} : { isError: true };
}

function openLink(widget, params) {
  const url = webUrl(params?.url);
  if (!url) {
    widget.notes.append(
      el("p", { class: "widget-refused small", role: "status" }, `Refused to open ${short(params?.url ?? "")}: only web addresses (http, https) open.`),
    );
    return Promise.resolve({ isError: true });
  }
  return new Promise((resolve) => {
    const done = (open) => {
      box.remove();
      if (open) window.open(url.href, "_blank", "noopener,noreferrer");
      resolve(open ? {} : { isError: true });
    };
    const box = el(
      "div",
      { class: "widget-link", role: "group", "aria-label": "A widget asks to open a link" },
      el("p", {}, "The widget of ", el("strong", {}, visible(widget.app)), " asks to open:"),
      el("p", { class: "widget-link-url" }, `${url.protocol}//`, el("strong", {}, visible(url.host)), visible(url.pathname + url.search + url.hash)),
      el(
        "div",
        { class: "actions" },
        el("button", { type: "button", dataset: { open: "no" } }, "Cancel"),
        el("button", { type: "button", class: "primary", dataset: { open: "yes" } }, "Open in a new tab"),
      ),
    );
    for (const b of box.querySelectorAll("button")) b.addEventListener("click", () => done(b.dataset.open === "yes"));
    widget.notes.append(box);
  });
}

function setMode(widget, mode) {
  const next = mode === "fullscreen" ? "fullscreen" : "inline";
  if (next === widget.mode) return next;
  widget.mode = next;
  widget.box.dataset.mode = next;
  widget.box.querySelector(".widget-close").hidden = next !== "fullscreen";
  if (widget.initialized) {
    post(widget, { method: "ui/notifications/host-context-changed", params: { displayMode: next } });
  }
  return next;
}

/** Ask a widget to tear down, waiting a little for its answer. */
function teardown(widget) {
  if (!widget.initialized || !widget.frame.contentWindow) return Promise.resolve();
  const id = `teardown-${widget.nextId++}`;
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, TEARDOWN_WAIT_MS);
    widget.pending.set(id, () => {
      clearTimeout(timer);
      resolve();
    });
    post(widget, { id, method: "ui/resource-teardown", params: {} });
  });
}

/** Tear down every mounted widget before the thread is cleared. */
export async function teardownWidgets() {
  const all = [...new Set(widgets.values())];
  await Promise.all(all.map((w) => teardown(w)));
  widgets.clear();
}

/** Tell every widget the theme changed. */
export function themeChanged() {
  for (const w of new Set(widgets.values())) {
    if (w.initialized) post(w, { method: "ui/notifications/host-context-changed", params: { theme: theme() } });
  }
}
