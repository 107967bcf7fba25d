// The chat page: the conversations in the sidebar, the composer with its + menu
// (apps in developer mode, model, read-only), answers streamed from the server
// as Server-Sent Events, a card per tool call, and the confirmation of write
// actions. Everything the server or a model says goes in as text (dom.js);
// answers are Markdown built as elements from its tokens (markdown.js).
import { api, ApiError } from "./api.js";
import { connectButton, el, fill, jsonBlock, pretty, visible } from "./dom.js";
import { endElicitation, keepOnly, showElicitation, waitingForPerson } from "./elicitation.js";
import { copyButton, renderMarkdown } from "./markdown.js";
import { readEvents } from "./sse.js";
import { approvalCard, conversationHost, mountWidget, teardownWidgets } from "./widget.js";

// One id per page load: a remembered approval lasts for this load only, so the
// id lives in memory and a reload starts afresh.
const SESSION = pageSession();

const $ = (id) => document.getElementById(id);
const root = $("chat");
const log = $("chat-log");
const text = $("composer-text");
const sendButton = $("send");
const stopButton = $("stop");
const status = $("composer-status");
const pageError = $("page-error");
const menu = $("composer-menu");
const plus = $("composer-plus");
const model = $("model");
const readOnly = $("read-only");
const knowledge = $("knowledge");
const dialog = $("approval");
// The approval card waits in the thread, after the call it is about; between
// approvals it goes back here, so clearing the thread never loses it.
const dialogHome = dialog.parentNode;
const inDialog = (id) => dialog.querySelector(`#${id}`);

const page = {
  conversation: null, // the open conversation (ConversationView), null for a new chat
  busy: false, // a turn's stream is being read
  abort: null, // stops reading it (the turn goes on, on the server)
  waiting: [], // calls that wait for a decision, oldest first
  deciding: null, // the call the dialog shows
  cards: new Map(), // call id → its card
  live: new Map(), // call id → {statusText, progress} while this page watches it run
  search: "", // what the conversation list is filtered by
  bubble: null, // the assistant bubble the next text goes into
  connectors: [], // the apps that can be chosen
  following: true, // the thread keeps the newest message in view (false once the reader scrolls up)
  frame: 0, // the animation frame that renders the streaming answer, when one is due
  connected: new Set(), // apps the person has just connected to from this page (no Connect offered again)
  widgets: new Map(), // call id → the kind of widget its result renders in
  mounted: new Map(), // call id → its widget's box, once shown
};

// Shown at the end of the thread while a turn works and no text streams.
const working = el(
  "div",
  { class: "working", id: "working", role: "status" },
  el("span", { class: "working-dots", "aria-hidden": "true" }, el("span"), el("span"), el("span")),
  el("span", { class: "working-text" }, "Working…"),
);
const jump = $("jump-latest");

function pageSession() {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // Outside a secure context (plain http to a LAN address) randomUUID is missing.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

const STATUS = {
  awaiting_approval: "awaiting approval",
  running: "running",
  completed: "completed",
  failed: "failed",
  denied: "denied",
  invalid: "invalid",
  cancelled: "cancelled",
  interrupted: "interrupted",
};

const DECISION = {
  auto_read: "read: ran without asking",
  approved: "approved",
  remembered: "approved (remembered)",
  denied: "denied",
  remembered_deny: "denied (remembered)",
};

const MODES = { default: null, read_only: "read-only", knowledge: "company knowledge" };

// ---- errors and status ----

function showError(error) {
  pageError.textContent = visible(error?.message ?? String(error));
}

function clearError() {
  pageError.textContent = "";
}

function setBusy(busy) {
  page.busy = busy;
  sendButton.disabled = busy;
  stopButton.hidden = !busy;
  stopButton.disabled = false;
  status.textContent = busy ? "Answering…" : "";
  root.dataset.busy = String(busy);
  showWorking(busy);
  showTurnActions();
}

/** The working indicator at the end of the thread, or none. */
function showWorking(on, text = "Working…") {
  if (on && page.busy && !page.bubble) {
    working.querySelector(".working-text").textContent = text;
    log.append(working);
    follow();
  } else {
    working.remove();
  }
}

// The thread scrolls in its own column on a wide screen and with the page on a
// narrow one: whichever scrolls is followed.
function scroller() {
  return getComputedStyle(log).overflowY === "visible" ? document.scrollingElement : log;
}

function atEnd() {
  const s = scroller();
  return s.scrollHeight - s.scrollTop - s.clientHeight < 48;
}

function scrollToEnd() {
  const s = scroller();
  s.scrollTop = s.scrollHeight;
  page.following = true;
  jump.hidden = true;
}

// Keep the newest message in view, unless the reader scrolled up to read: then
// offer "Jump to latest".
function follow() {
  if (page.following) scrollToEnd();
  else jump.hidden = false;
}

function onScroll() {
  page.following = atEnd();
  if (page.following) jump.hidden = true;
}

/** Empty the thread; the approval card, closed, goes back where it waits. */
function clearLog() {
  parkDialog();
  fill(log);
}

function parkDialog() {
  if (dialog.open) dialog.close();
  if (dialog.parentNode !== dialogHome) dialogHome.append(dialog);
}

function add(node) {
  log.append(node);
  if (working.isConnected) log.append(working);
  $("chat-empty").hidden = true;
  follow();
  return node;
}

// ---- the sidebar ----

async function loadConversations() {
  const query = page.search ? `?q=${encodeURIComponent(page.search)}` : "";
  const list = await api("GET", `/api/v1/conversations${query}`);
  const current = page.conversation?.id;
  fill(
    $("conversation-list"),
    list.map((c) =>
      el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "conversation", dataset: { conversation: c.id }, "aria-current": c.id === current ? "true" : null },
          el(
            "span",
            { class: "conversation-title" },
            c.pinned ? el("span", { class: "pin-mark", title: "Pinned" }, "Pinned") : null,
            visible(c.title),
          ),
          el("span", { class: "muted small" }, facts(c).join(" · ")),
        ),
      ),
    ),
  );
  $("no-conversations").hidden = list.length > 0;
  $("no-conversations").textContent = page.search ? "No conversation matches." : "No conversations yet.";
  // The title comes from the first message, so the open one may have a new one.
  const fresh = list.find((c) => c.id === current);
  if (fresh && page.conversation?.id === fresh.id) {
    page.conversation.title = fresh.title;
    $("chat-title").textContent = visible(fresh.title);
  }
}

// What a conversation was started with, in words.
function facts(c) {
  const names = c.connectors.map((id) => page.connectors.find((a) => a.id === id)?.name).filter(Boolean);
  const apps =
    c.connectors.length === 0
      ? "no apps"
      : names.length === c.connectors.length
        ? names.map(visible).join(", ")
        : `${c.connectors.length} app${c.connectors.length === 1 ? "" : "s"}`;
  return [visible(c.model), MODES[c.mode], apps].filter(Boolean);
}

// ---- messages and tool calls ----

const WHO = { user: "You", assistant: "Model", error: "Error", stopped: "Stopped" };

function bubble(role, content, id = null) {
  const markdown = role === "assistant";
  const body = el("div", { class: markdown ? "message-text markdown" : "message-text" });
  const actions = el("div", { class: "message-actions" });
  if (role === "user" || role === "assistant") {
    actions.append(copyButton(() => node.raw, role === "user" ? "Copy message" : "Copy answer"));
  }
  const node = el(
    "div",
    { class: "message", dataset: { role, message: id ?? "" } },
    el("div", { class: "message-who" }, WHO[role] ?? visible(role)),
    body,
    actions,
  );
  node.raw = content;
  renderBody(node);
  return node;
}

// What a model step used, in a muted line: "1,234 in · 56 out · 2.1 s"; the
// model and the time to the first token in its tooltip.
function usageLine(usage) {
  const count = (n) => Number(n ?? 0).toLocaleString("en-US");
  const tip = [usage.model, `${duration(usage.latency_ms)} in all`];
  if (typeof usage.first_token_ms === "number") tip.push(`first token after ${duration(usage.first_token_ms)}`);
  return el(
    "p",
    { class: "step-usage", title: tip.map(visible).join(" · ") },
    `${count(usage.input_tokens)} in · ${count(usage.output_tokens)} out · ${duration(usage.latency_ms)}`,
  );
}

// A step's time as people read it: "840 ms" under a second, then "2.1 s"
// (a fast step is not "0.0 s").
function duration(ms) {
  const n = Number(ms ?? 0);
  return n < 1000 ? `${formatMs(n)} ms` : `${(n / 1000).toFixed(1)} s`;
}

// Usage under its answer's bubble, or on its own line when the step only called tools.
function showUsage(usage, bubbleNode) {
  const line = usageLine(usage);
  if (!bubbleNode) {
    add(line);
    return;
  }
  bubbleNode.append(line);
  follow();
}

function renderBody(node) {
  const body = node.querySelector(".message-text");
  if (node.dataset.role === "assistant") renderMarkdown(body, node.raw);
  else body.textContent = visible(node.raw);
}

// A streaming answer is rendered again as a whole, at most once a frame: the
// Markdown of a half-written table or code block settles as it completes.
function appendText(delta) {
  if (!page.bubble) {
    working.remove();
    page.bubble = add(bubble("assistant", ""));
  }
  page.bubble.raw += delta;
  page.bubble.classList.add("streaming");
  if (!page.frame) {
    const target = page.bubble;
    page.frame = requestAnimationFrame(() => {
      page.frame = 0;
      renderBody(target);
      follow();
    });
  }
}

function endBubble() {
  if (page.frame) {
    cancelAnimationFrame(page.frame);
    page.frame = 0;
  }
  if (page.bubble) {
    renderBody(page.bubble);
    page.bubble.classList.remove("streaming");
    page.bubble = null;
    follow();
  }
}

function showCall(call) {
  const known = page.cards.get(call.id);
  if (known) {
    renderCard(known, call);
    showWidget(known, call);
    return known;
  }
  endBubble();
  const card = el("article", { class: "tool-card", dataset: { call: call.id }, "aria-label": `Tool call ${call.name}` });
  renderCard(card, call);
  page.cards.set(call.id, card);
  add(card);
  showWidget(card, call);
  showWorking(true, call.status === "running" ? "Running the action…" : "Working…");
  return card;
}

/** A completed call whose tool links a widget: the widget, framed after its card. */
function showWidget(card, call) {
  if (call.widget) page.widgets.set(call.id, call.widget);
  const kind = page.widgets.get(call.id);
  if (!kind || call.status !== "completed" || page.mounted.has(call.id) || !page.conversation) return;
  const sendMessage = async (message) => {
    if (page.busy) return false;
    text.value = message;
    send().catch(showError);
    return true;
  };
  const box = mountWidget({
    call: { ...call, widget: kind },
    app: call.connector_name ?? "an app",
    host: conversationHost(page.conversation.id, call.id, sendMessage),
  });
  page.mounted.set(call.id, box);
  card.after(box);
}

/** Writes that widgets asked for and that still wait (after a reload): decided here. */
async function showWaitingWidgetCalls(id) {
  const calls = await api("GET", `/api/v1/conversations/${encodeURIComponent(id)}/widget-calls`);
  for (const call of calls.filter((c) => c.status === "awaiting_approval")) {
    const after = page.mounted.get(call.widget_of) ?? page.cards.get(call.widget_of);
    if (!after || page.conversation?.id !== id) continue;
    const app = page.cards.get(call.widget_of)?.querySelector(".connector-name")?.textContent ?? "an app";
    const card = approvalCard(app, call, async (decision) => {
      const path = `/api/v1/conversations/${encodeURIComponent(id)}/widget-calls/${encodeURIComponent(call.id)}/decision`;
      try {
        const decided = await api("POST", path, { decision });
        fill(card, el("p", { class: "small muted" }, `${visible(call.tool)}: ${STATUS[decided.status] ?? visible(decided.status)}`));
      } catch (error) {
        showError(error);
      }
    });
    (after.querySelector(".widget-notes") ?? after).append(card);
  }
}

/** A part of a tool card, folded: its title, a Copy button and the JSON. */
function part(name, title, value, open, ...before) {
  return el(
    "details",
    { class: "json-details", dataset: { part: name }, open },
    el("summary", {}, title),
    el("div", { class: "part-tools" }, copyButton(() => pretty(value), `Copy ${title.toLowerCase()}`)),
    before,
    jsonBlock(value),
  );
}

/** The text items of a tool's result; text that is JSON, pretty-printed and foldable. */
function resultTexts(result) {
  const items = Array.isArray(result?.content) ? result.content : [];
  return items.map((item, i) => {
    if (item?.type !== "text" || typeof item.text !== "string") return null;
    const parsed = jsonOf(item.text);
    const label = items.length === 1 ? "Text" : `Text ${i + 1}`;
    if (parsed === undefined) {
      return el("div", { class: "result-text" }, el("div", { class: "part-label small muted" }, label), el("pre", { class: "text", tabindex: "0" }, visible(item.text)));
    }
    return el(
      "details",
      { class: "json-details result-json", open: true, dataset: { text: String(i) } },
      el("summary", {}, `${label} (JSON)`),
      el("div", { class: "part-tools" }, copyButton(() => pretty(parsed), `Copy ${label.toLowerCase()} as JSON`)),
      jsonBlock(parsed),
    );
  });
}

/** `text` parsed, when it is a JSON object or array; undefined otherwise. */
function jsonOf(text) {
  const t = text.trim();
  if (!(t.startsWith("{") || t.startsWith("["))) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

function renderCard(card, call) {
  // Parts the reader opened stay open as the call moves on.
  const open = new Set([...card.querySelectorAll("details[open]")].map((d) => d.dataset.part));
  const kind = call.classification ?? "unknown";
  const message = call.result && typeof call.result === "object" && typeof call.result.error === "string" ? call.result.error : null;
  card.dataset.status = call.status;
  card.dataset.decision = call.decision ?? "";
  fill(
    card,
    el(
      "header",
      { class: "tool-card-head" },
      el(
        "span",
        { class: "tool-name" },
        call.connector_name ? el("span", { class: "connector-name" }, visible(call.connector_name)) : null,
        call.connector_name ? " · " : null,
        el("code", {}, visible(call.tool ?? call.name)),
      ),
      el("span", { class: "badge kind", dataset: { kind } }, kind),
      el("span", { class: "badge call-status", dataset: { status: call.status } }, STATUS[call.status] ?? visible(call.status)),
      call.decision
        ? el("span", { class: "decision small", dataset: { decision: call.decision } }, DECISION[call.decision] ?? visible(call.decision))
        : null,
      typeof call.latency_ms === "number" ? el("span", { class: "latency muted small" }, `${formatMs(call.latency_ms)} ms`) : null,
    ),
    liveLine(call),
    message ? el("p", { class: "call-message small" }, visible(message)) : null,
    authNeeded(call.result),
    call.is_error && !message ? el("p", { class: "call-message small" }, "The server answered with isError: true.") : null,
    part("input", "Input", call.arguments, open.has("input")),
    call.result != null ? part("output", "Output", call.result, open.has("output"), resultTexts(call.result)) : null,
    call.exchange != null ? part("exchange", "Raw MCP exchange", call.exchange, open.has("exchange")) : null,
  );
}

/** A call that needs the person's connection to its app: the link that connects them. */
function authNeeded(result) {
  const auth = result && typeof result === "object" ? result.auth_required : null;
  if (!auth || typeof auth !== "object") return null;
  if (page.connected.has(String(auth.connector_id))) {
    return el("p", { class: "call-connect" }, "Now connected: ask again to run it with your account.");
  }
  const here = page.conversation ? `/chat?c=${encodeURIComponent(page.conversation.id)}` : "/chat";
  const link = connectButton(auth.connector_id, auth.state, auth.scope, here);
  return link ? el("p", { class: "call-connect" }, link, " then ask again.") : null;
}

/** What the OAuth callback put in the address after a Connect from this page. */
function connectOutcome(params) {
  if (params.get("oauth") === "connected") return "Connected. Ask again, or use Regenerate.";
  if (params.has("oauth_error")) {
    return `Connecting failed: ${visible(params.get("oauth_message") ?? params.get("oauth_error"))}`;
  }
  return "";
}

/** The tool's own status text, and its progress, while this page watches it. */
function liveLine(call) {
  const live = page.live.get(call.id);
  if (!live) return null;
  const running = call.status === "running";
  const text = running ? live.statusText?.invoking : call.status === "completed" ? live.statusText?.invoked : null;
  const p = running ? live.progress : null;
  const task = running ? taskLine(live.task) : null;
  const progress = p
    ? [
        typeof p.total === "number" ? el("progress", { value: p.progress, max: p.total }) : null,
        typeof p.total === "number" ? ` ${p.progress} / ${p.total}` : ` ${p.progress}`,
        p.message ? ` — ${visible(p.message)}` : null,
      ]
    : null;
  if (!text && !progress && !task) return null;
  return el("p", { class: "call-live small", "aria-live": "polite" }, text ? visible(text) : null, progress, task);
}

const TASK_STATUS = {
  working: "Working",
  input_required: "Waiting for input",
  completed: "Completed",
  failed: "Failed",
  cancelled: "Cancelled",
};

/** A call that runs as a task on its server: its status and the server's status message. */
function taskLine(task) {
  if (!task) return null;
  const status = TASK_STATUS[task.status] ?? visible(task.status);
  return el("span", { class: "call-task" }, `Task: ${status}`, task.message ? ` — ${visible(task.message)}` : null);
}

function formatMs(ms) {
  return ms < 10 ? ms.toFixed(1) : String(Math.round(ms));
}

// ---- the open conversation ----

function showHead() {
  const c = page.conversation;
  $("chat-head").hidden = !c;
  if (c) {
    $("chat-title").textContent = visible(c.title);
    const pin = $("pin-chat");
    pin.textContent = c.pinned ? "Unpin" : "Pin";
    pin.setAttribute("aria-pressed", String(Boolean(c.pinned)));
    fill($("chat-facts"), facts(c).map((f) => el("span", { class: "chip" }, f)));
  }
  $("options").hidden = Boolean(c);
  $("options-locked").hidden = !c;
  showChoices();
  for (const b of document.querySelectorAll("#conversation-list button")) {
    b.setAttribute("aria-current", b.dataset.conversation === c?.id ? "true" : "false");
  }
}

function showDetail(detail) {
  const { messages, tool_calls: calls, elicitations = [], ...conversation } = detail;
  page.conversation = conversation;
  page.cards.clear();
  page.bubble = null;
  clearLog();
  const byMessage = new Map();
  for (const call of calls) byMessage.set(call.message_id, [...(byMessage.get(call.message_id) ?? []), call]);
  // What a regenerate or a resend replaced stays on record: folded where it was.
  const shown = messages.filter((m) => !m.superseded);
  let replaced = [];
  const fold = () => {
    if (replaced.length) add(earlierVersion(replaced, byMessage));
    replaced = [];
  };
  for (const m of messages) {
    if (m.superseded) {
      replaced.push(m);
      continue;
    }
    fold();
    const node = m.role !== "assistant" || m.content ? add(bubble(m.role, m.content, m.id)) : null;
    if (m.usage) showUsage(m.usage, node);
    for (const call of byMessage.get(m.id) ?? []) showCall(call);
  }
  fold();
  // Requests for the person's input that wait: at their calls, as typed so far.
  keepOnly(new Set(elicitations.map((e) => e.id)));
  for (const request of elicitations) placeElicitation(request);
  working.remove();
  $("chat-empty").hidden = shown.length > 0;
  page.waiting = calls.filter((c) => c.status === "awaiting_approval");
  showHead();
  showTurnActions();
  scrollToEnd();
  history.replaceState(null, "", `/chat?c=${encodeURIComponent(conversation.id)}`);
}

// Messages a regenerate or an edit and resend replaced, with their tool calls,
// folded under "Earlier version": read-only, never sent to the model again.
function earlierVersion(messages, byMessage) {
  const body = el("div", { class: "superseded-body" });
  for (const m of messages) {
    const node = m.role !== "assistant" || m.content ? bubble(m.role, m.content, m.id) : null;
    if (node) body.append(node);
    if (m.usage) {
      const line = usageLine(m.usage);
      if (node) node.append(line);
      else body.append(line);
    }
    for (const call of byMessage.get(m.id) ?? []) {
      const card = el("article", { class: "tool-card", dataset: { call: call.id }, "aria-label": `Tool call ${call.name}` });
      renderCard(card, call);
      body.append(card);
    }
  }
  const n = messages.length;
  return el(
    "details",
    { class: "superseded", dataset: { count: String(n) } },
    el("summary", {}, `Earlier version · ${n} message${n === 1 ? "" : "s"} replaced`),
    body,
  );
}

async function openConversation(id) {
  page.abort?.abort();
  clearError();
  status.textContent = "";
  const detail = await api("GET", `/api/v1/conversations/${encodeURIComponent(id)}`);
  await teardownWidgets();
  page.mounted.clear();
  showDetail(detail);
  showWaitingWidgetCalls(id).catch(showError);
  if (detail.state === "awaiting_approval") nextApproval();
  // A call still runs (an approved write, one waiting for the person's input): look again until it ends.
  if (detail.state === "running" || detail.tool_calls.some((c) => c.status === "running")) watchRunning(detail.id);
  loadRemembered().catch(showError);
}

// A turn that runs without this page following its stream (one started before a
// reload): look again until it is over.
function watchRunning(id) {
  status.textContent = "A turn is running; its answer shows when it ends.";
  setTimeout(async () => {
    if (page.conversation?.id !== id || page.busy) return;
    // Not while the person answers a request: reading again would redraw the form.
    if (waitingForPerson()) return watchRunning(id);
    try {
      await openConversation(id);
    } catch (error) {
      showError(error);
    }
  }, 1000);
}

function newChat() {
  page.abort?.abort();
  page.conversation = null;
  teardownWidgets();
  page.mounted.clear();
  page.cards.clear();
  page.waiting = [];
  page.bubble = null;
  clearLog();
  clearError();
  // Nothing of the last conversation's turn ("Stopped.", "Answering…") carries over.
  status.textContent = "";
  jump.hidden = true;
  page.following = true;
  loadRemembered().catch(showError);
  $("chat-empty").hidden = false;
  // A new chat starts from the defaults: no apps, the default model, not read-only.
  for (const box of document.querySelectorAll("#app-choices input:checked")) box.checked = false;
  readOnly.checked = false;
  knowledge.checked = false;
  model.value = "";
  const picker = $("app-picker");
  if (picker) picker.hidden = true;
  $("menu-apps")?.setAttribute("aria-expanded", "false");
  showHead();
  history.replaceState(null, "", "/chat");
  text.focus();
}

// ---- sending and streaming ----

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

// POST `body` to `path` and show the turn's events as they come; `opened` runs
// once the server has accepted the request. Returns the `done` event, or null
// when the stream ended without one.
async function streamTurn(path, body, opened = () => {}) {
  const controller = new AbortController();
  page.abort = controller;
  setBusy(true);
  let done = null;
  try {
    const response = await fetch(path, {
      method: "POST",
      headers: { Accept: "text/event-stream", "Content-Type": "application/json", "X-CSRF-Token": csrf() },
      body: JSON.stringify(body),
      credentials: "same-origin",
      signal: controller.signal,
    });
    if (!response.ok) {
      let problem = null;
      try {
        problem = await response.json();
      } catch {
        problem = { detail: `the server answered ${response.status} ${response.statusText}` };
      }
      throw new ApiError(response.status, problem);
    }
    opened();
    page.bubble = null;
    for await (const event of readEvents(response.body)) {
      if (controller.signal.aborted) break;
      if (event.type === "done") done = event;
      else onEvent(event);
    }
  } catch (error) {
    if (controller.signal.aborted) return { aborted: true };
    throw error;
  } finally {
    endBubble();
    if (page.abort === controller) {
      page.abort = null;
      setBusy(false);
    }
  }
  return done;
}

function onEvent(event) {
  switch (event.type) {
    case "text_delta":
      appendText(event.text ?? "");
      break;
    case "tool_call_proposed":
      page.live.set(event.call.id, { statusText: event.status_text ?? null, progress: null, call: event.call });
      showCall(event.call);
      break;
    case "tool_progress": {
      const live = page.live.get(event.call_id);
      if (live) {
        live.progress = { progress: event.progress, total: event.total, message: event.message };
        // Progress comes only from a call that is running (an approved write, say).
        live.call = { ...live.call, status: "running" };
        const card = page.cards.get(event.call_id);
        if (card) renderCard(card, live.call);
      }
      break;
    }
    case "elicitation": {
      // Only a running call asks (an approved write, say).
      const live = page.live.get(event.elicitation.call_id);
      const card = page.cards.get(event.elicitation.call_id);
      if (live && card) {
        live.call = { ...live.call, status: "running" };
        renderCard(card, live.call);
      }
      placeElicitation(event.elicitation);
      showWorking(true, `Waiting for your answer to ${visible(event.elicitation.connector_name || "the app")}…`);
      break;
    }
    case "elicitation_ended":
      endElicitation(event.elicitation_id);
      break;
    case "tool_task": {
      const live = page.live.get(event.call_id);
      if (live) {
        live.task = { status: event.status, message: event.message };
        live.call = { ...live.call, status: "running" };
        const card = page.cards.get(event.call_id);
        if (card) renderCard(card, live.call);
      }
      break;
    }
    case "awaiting_approval":
      showCall(event.call);
      if (!page.waiting.some((c) => c.id === event.call.id)) page.waiting.push(event.call);
      break;
    case "tool_result":
      if (page.live.has(event.call.id)) page.live.get(event.call.id).call = event.call;
      showCall(event.call);
      page.waiting = page.waiting.filter((c) => c.id !== event.call.id);
      break;
    case "step_usage":
      if (page.bubble) page.bubble.dataset.message = event.message_id;
      showUsage(event.usage, page.bubble);
      break;
    case "error":
      endBubble();
      add(bubble("error", event.message ?? "something went wrong"));
      showWorking(true);
      break;
    default:
      // A kind of event this page does not know yet: nothing to show.
      break;
  }
}

/** A running call's request for the person's input, right after the call's card. */
function placeElicitation(request) {
  showElicitation(request, {
    place: (node) => {
      const card = page.cards.get(request.call_id);
      if (card) card.after(node);
      else add(node);
    },
    answerPath: (r) => `/api/v1/conversations/${encodeURIComponent(r.conversation_id)}/elicitations/${encodeURIComponent(r.id)}`,
  });
  follow();
}

// After a stream: ask for the next decision, or say why the turn stopped.
async function afterTurn(done) {
  if (done?.aborted) return;
  const id = page.conversation?.id;
  if (!done) {
    // The stream broke off: what the server stored is what happened.
    showError(new Error("the answer's stream broke off; showing what was stored"));
    if (id) await openConversation(id);
  } else if (done.state === "awaiting_approval") {
    page.conversation.state = "awaiting_approval";
    nextApproval();
  } else {
    page.conversation.state = done.state;
    showCitations(done.citations ?? []);
    // Written into the thread as the server stored it, so a reload shows the same.
    if (done.reason === "cancelled") {
      add(bubble("stopped", "Stopped."));
      status.textContent = "Stopped.";
    }
    if (done.reason === "step_limit") status.textContent = "Stopped at the step limit.";
    // A failed turn whose end could not be saved yet: the server ends it once it can.
    if (done.state === "running" && id) watchRunning(id);
  }
  showTurnActions();
  loadConversations().catch(showError);
  loadRemembered().catch(showError);
}

/** The items a company-knowledge answer read, as text (never links that load anything). */
function showCitations(citations) {
  if (citations.length === 0) return;
  add(
    el(
      "aside",
      { class: "citations", "aria-label": "Sources" },
      el("strong", {}, "Sources"),
      el(
        "ul",
        {},
        citations.map((c) =>
          el("li", {}, visible(c.title ?? c.id), c.url ? el("span", { class: "muted" }, ` — ${visible(c.url)}`) : null),
        ),
      ),
    ),
  );
}

function chosenApps() {
  return [...document.querySelectorAll("#app-choices input:checked")].map((i) => i.value);
}

async function send() {
  const content = text.value;
  if (!content.trim() || page.busy) return;
  clearError();
  if (!page.conversation) {
    const mode = knowledge.checked ? "knowledge" : readOnly.checked ? "read_only" : "default";
    const body = { connectors: knowledge.checked ? [] : chosenApps(), mode };
    if (model.value.trim()) body.model = model.value.trim();
    page.conversation = await api("POST", "/api/v1/conversations", body);
    closeMenu();
    clearLog();
    showHead();
    history.replaceState(null, "", `/chat?c=${encodeURIComponent(page.conversation.id)}`);
  }
  const id = page.conversation.id;
  text.value = "";
  status.textContent = "";
  const mine = add(bubble("user", content));
  // Sending brings the thread to its end, wherever the reader was.
  scrollToEnd();
  let done;
  try {
    const path = `/api/v1/conversations/${encodeURIComponent(id)}/messages`;
    // The title comes from the first message, stored once the message is
    // accepted: the sidebar shows it at once.
    done = await streamTurn(path, { content, client_session: SESSION }, () => loadConversations().catch(showError));
  } catch (error) {
    // Not sent: the text goes back where it was typed.
    if (mine.isConnected && error instanceof ApiError) {
      mine.remove();
      text.value = content;
    }
    throw error;
  }
  await afterTurn(done);
}

// ---- retry, regenerate, edit and resend ----

/** The last message of the thread of `roles`, or null. */
function lastMessage(...roles) {
  // Only the thread's own messages, not those folded under an earlier version.
  const all = [...log.querySelectorAll(":scope > .message")];
  for (let i = all.length - 1; i >= 0; i--) if (roles.includes(all[i].dataset.role)) return all[i];
  return null;
}

// Retry on the error or stop that ended the last turn, Regenerate on its answer,
// Edit on the last message: only while no turn runs or waits.
function showTurnActions() {
  for (const b of log.querySelectorAll(".turn-action")) b.remove();
  if (page.busy || !page.conversation || page.conversation.state !== "idle") return;
  const mine = lastMessage("user");
  if (!mine) return;
  const after = lastMessage("user", "assistant", "error", "stopped");
  if (after && after !== mine) {
    const retry = after.dataset.role !== "assistant";
    const button = el(
      "button",
      { type: "button", class: `small turn-action ${retry ? "retry" : "regenerate"}`, title: "Answer your last message again" },
      retry ? "Retry" : "Regenerate",
    );
    button.addEventListener("click", () => regenerate().catch(showError));
    after.querySelector(".message-actions").append(button);
  }
  const edit = el("button", { type: "button", class: "small turn-action edit", title: "Change your last message and send it again" }, "Edit");
  edit.addEventListener("click", () => startEdit(mine));
  mine.querySelector(".message-actions").append(edit);
}

/** Remove what follows `node` in the thread (what a regenerate replaces). */
function dropAfter(node) {
  while (node.nextSibling) {
    const next = node.nextSibling;
    if (next === dialog) {
      parkDialog();
      continue;
    }
    if (next.dataset?.call) page.cards.delete(next.dataset.call);
    next.remove();
  }
}

async function regenerate() {
  const id = page.conversation?.id;
  const mine = lastMessage("user");
  if (!id || !mine || page.busy) return;
  clearError();
  status.textContent = "";
  dropAfter(mine);
  scrollToEnd();
  const path = `/api/v1/conversations/${encodeURIComponent(id)}/regenerate`;
  try {
    await afterTurn(await streamTurn(path, { client_session: SESSION }));
  } catch (error) {
    showError(error);
    await openConversation(id);
  }
}

function startEdit(node) {
  if (page.busy) return;
  const box = el("textarea", { class: "edit-text", rows: "3", "aria-label": "Edit your message" });
  box.value = node.raw;
  const save = el("button", { type: "submit", class: "primary small" }, "Send");
  const cancel = el("button", { type: "button", class: "small" }, "Cancel");
  const form = el("form", { class: "edit-form" }, box, el("div", { class: "form-actions" }, cancel, save));
  const body = node.querySelector(".message-text");
  body.hidden = true;
  node.querySelector(".message-actions").hidden = true;
  node.append(form);
  box.focus();
  const close = () => {
    form.remove();
    body.hidden = false;
    node.querySelector(".message-actions").hidden = false;
  };
  cancel.addEventListener("click", close);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const content = box.value;
    if (!content.trim()) return;
    close();
    resend(node, content).catch(showError);
  });
}

async function resend(node, content) {
  const id = page.conversation?.id;
  if (!id || page.busy) return;
  clearError();
  status.textContent = "";
  dropAfter(node);
  node.raw = content;
  renderBody(node);
  scrollToEnd();
  const path = `/api/v1/conversations/${encodeURIComponent(id)}/resend`;
  try {
    await afterTurn(await streamTurn(path, { content, client_session: SESSION }));
  } catch (error) {
    showError(error);
    await openConversation(id);
  }
}

// ---- remembered choices ----

/** The choices remembered in this conversation for this page load, as chips with Revoke. */
async function loadRemembered() {
  const box = $("remembered");
  const id = page.conversation?.id;
  if (!id) {
    fill(box);
    box.hidden = true;
    return;
  }
  const list = await api("GET", `/api/v1/conversations/${encodeURIComponent(id)}/remembered?client_session=${encodeURIComponent(SESSION)}`);
  if (page.conversation?.id !== id) return;
  box.hidden = list.length === 0;
  fill(
    box,
    list.map((r) => {
      const app = page.connectors.find((a) => a.id === r.connector_id)?.name ?? "an app";
      const what = `${r.decision === "approve" ? "Always allow" : "Always deny"} ${app} · ${r.tool}`;
      const revoke = el("button", { type: "button", class: "small revoke", "aria-label": `Revoke: ${visible(what)}` }, "Revoke");
      revoke.addEventListener("click", async () => {
        revoke.disabled = true;
        try {
          await api("POST", `/api/v1/conversations/${encodeURIComponent(id)}/remembered/forget`, {
            connector_id: r.connector_id,
            tool: r.tool,
            client_session: SESSION,
          });
        } catch (error) {
          showError(error);
        }
        await loadRemembered();
      });
      return el(
        "span",
        { class: "chip remembered-chip", dataset: { tool: r.tool, decision: r.decision }, title: "Remembered for this conversation until this page is reloaded" },
        visible(what),
        " ",
        revoke,
      );
    }),
  );
}

// ---- approvals ----

function nextApproval() {
  const call = page.waiting[0];
  if (!call || page.busy) return;
  page.deciding = call;
  inDialog("approval-tool").textContent = visible(call.tool ?? call.name);
  inDialog("approval-action-title").textContent = "";
  fill(inDialog("approval-badges"));
  showDescription(null);
  fill(inDialog("approval-connector"), appName(call));
  inDialog("approval-arguments").textContent = visible(pretty(call.arguments));
  inDialog("approval-remember").checked = false;
  const more = page.waiting.length - 1;
  inDialog("approval-queue").textContent = more > 0 ? `${more} more action${more === 1 ? "" : "s"} wait after this one.` : "";
  for (const b of dialog.querySelectorAll("button")) b.disabled = false;
  // A card at the end of the thread, not a modal: the results above it stay
  // readable (and selectable) while the person decides.
  log.append(dialog);
  if (!dialog.open) dialog.show();
  scrollToEnd();
  inDialog("approval-deny").focus();
  describeAction(call).catch(() => {});
}

/** The app's name; with the start of its id when another app has the same name. */
function appName(call) {
  const name = visible(call.connector_name ?? "an unknown app");
  const twins = page.connectors.filter((a) => a.name === call.connector_name).length;
  if (twins < 2 || !call.connector_id) return name;
  return [name, " ", el("span", { class: "muted small app-id" }, `(id ${call.connector_id.slice(0, 8)}…)`)];
}

function showDescription(text) {
  const dd = inDialog("approval-description");
  dd.textContent = text ? visible(text) : "";
  dd.hidden = !text;
  inDialog("approval-description-term").hidden = !text;
}

// The tools of each app, as its page lists them, fetched once per page load.
const toolLists = new Map();

/** Fill in the action's title, description and risk badges from its app's tool list. */
async function describeAction(call) {
  if (!call.connector_id) return;
  if (!toolLists.has(call.connector_id)) {
    toolLists.set(call.connector_id, api("GET", `/api/v1/connectors/${encodeURIComponent(call.connector_id)}/tools`));
  }
  let tools;
  try {
    tools = await toolLists.get(call.connector_id);
  } catch {
    toolLists.delete(call.connector_id);
    return;
  }
  const tool = tools.find((t) => t.name === call.tool);
  if (!tool || page.deciding?.id !== call.id) return;
  inDialog("approval-action-title").textContent = visible(tool.display_name);
  showDescription(tool.description);
  fill(
    inDialog("approval-badges"),
    tool.risk?.destructive
      ? el("span", { class: "badge risk", dataset: { risk: "destructive" }, title: "destructiveHint is not false" }, "destructive")
      : null,
    tool.risk?.open_world
      ? el("span", { class: "badge risk", dataset: { risk: "open_world" }, title: "openWorldHint is not false" }, "open world")
      : null,
  );
}

async function decide(decision) {
  const call = page.deciding;
  const id = page.conversation?.id;
  if (!call || !id) return;
  for (const b of dialog.querySelectorAll("button")) b.disabled = true;
  const remember = inDialog("approval-remember").checked;
  page.deciding = null;
  page.waiting = page.waiting.filter((c) => c.id !== call.id);
  dialog.close();
  clearError();
  try {
    const path = `/api/v1/conversations/${encodeURIComponent(id)}/tool-calls/${encodeURIComponent(call.id)}/decision`;
    await afterTurn(await streamTurn(path, { decision, remember, client_session: SESSION }));
  } catch (error) {
    showError(error);
    // Decided elsewhere, or no longer waiting: show what the server has.
    if (error.status === 409) await openConversation(id);
  }
}

/** End the turn without deciding: every waiting action is cancelled. */
async function stopWaitingTurn() {
  const id = page.conversation?.id;
  if (!id) return;
  for (const b of dialog.querySelectorAll("button")) b.disabled = true;
  page.deciding = null;
  page.waiting = [];
  dialog.close();
  clearError();
  try {
    await api("POST", `/api/v1/conversations/${encodeURIComponent(id)}/cancel`);
  } catch (error) {
    showError(error);
  }
  await openConversation(id);
  status.textContent = "Stopped.";
}

// ---- the + menu ----

function openMenu() {
  menu.hidden = false;
  plus.setAttribute("aria-expanded", "true");
  (menu.querySelector("#options:not([hidden]) button, #options:not([hidden]) input") ?? menu).focus?.();
}

function closeMenu() {
  menu.hidden = true;
  plus.setAttribute("aria-expanded", "false");
}

function showChoices() {
  const box = $("composer-choices");
  if (page.conversation) {
    fill(box);
    return;
  }
  const apps = chosenApps().map((id) => page.connectors.find((a) => a.id === id)?.name ?? id);
  fill(
    box,
    apps.map((name) => el("span", { class: "chip", dataset: { app: name } }, visible(name))),
    knowledge.checked
      ? el("span", { class: "chip", dataset: { mode: "knowledge" } }, "Company knowledge")
      : readOnly.checked
        ? el("span", { class: "chip", dataset: { mode: "read_only" } }, "Read-only")
        : null,
    model.value.trim() ? el("span", { class: "chip" }, visible(model.value.trim())) : null,
  );
}

async function loadApps() {
  page.connectors = await api("GET", "/api/v1/connectors");
  $("no-apps-to-choose").hidden = page.connectors.length > 0;
  fill(
    $("app-choices"),
    page.connectors.map((a) =>
      el(
        "label",
        { class: "checkbox" },
        el("input", { type: "checkbox", value: a.id, name: "app", dataset: { name: a.name } }),
        el("span", {}, el("strong", {}, visible(a.name)), " ", a.label ? el("span", { class: "badge label", dataset: { label: a.label } }, visible(a.label)) : null),
      ),
    ),
  );
}

async function loadModels() {
  const models = await api("GET", "/api/v1/models");
  const check = $("model-check");
  if (models.default_model) {
    model.placeholder = `default: ${models.default_model}`;
    fill($("model-options"), [...new Set([models.default_model, ...models.models])].map((m) => el("option", { value: m })));
    $("model-status").textContent = visible(models.default_model);
    check.dataset.done = "true";
  } else if (models.providers.length > 0) {
    model.placeholder = `${models.providers[0]}/model-name`;
    fill($("model-options"), models.models.map((m) => el("option", { value: m })));
    $("model-status").textContent = "no default model: name one under +";
  } else {
    $("model-status").textContent = "no model provider is configured (see the README)";
  }
}

// ---- wiring ----

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  send().catch(showError);
});

text.addEventListener("keydown", (event) => {
  if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send().catch(showError);
  }
});

stopButton.addEventListener("click", async () => {
  const id = page.conversation?.id;
  if (!id) return;
  stopButton.disabled = true;
  status.textContent = "Stopping…";
  try {
    await api("POST", `/api/v1/conversations/${encodeURIComponent(id)}/cancel`);
  } catch (error) {
    showError(error);
    stopButton.disabled = false;
  }
});

$("new-chat").addEventListener("click", newChat);

log.addEventListener("scroll", onScroll, { passive: true });
window.addEventListener("scroll", onScroll, { passive: true });
jump.addEventListener("click", scrollToEnd);

// ---- managing conversations: search, rename, pin, delete ----

let searchTimer = null;
$("conversation-search").addEventListener("input", (event) => {
  clearTimeout(searchTimer);
  searchTimer = setTimeout(() => {
    page.search = event.target.value.trim();
    loadConversations().catch(showError);
  }, 200);
});

function showRename(open) {
  $("rename-form").hidden = !open;
  $("chat-title").hidden = open;
  $("rename-chat").hidden = open;
  if (open) {
    const input = $("rename-input");
    input.value = page.conversation?.title ?? "";
    input.focus();
    input.select();
  }
}

async function updateConversation(change) {
  const c = page.conversation;
  if (!c) return;
  const updated = await api("PATCH", `/api/v1/conversations/${encodeURIComponent(c.id)}`, change);
  Object.assign(page.conversation, { title: updated.title, pinned: updated.pinned });
  showHead();
  await loadConversations();
}

$("rename-chat").addEventListener("click", () => showRename(true));
$("rename-cancel").addEventListener("click", () => showRename(false));
$("rename-input").addEventListener("keydown", (event) => {
  if (event.key === "Escape") showRename(false);
});
$("rename-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const title = $("rename-input").value.trim();
  if (!title) return;
  updateConversation({ title })
    .then(() => showRename(false))
    .catch(showError);
});
$("pin-chat").addEventListener("click", () => updateConversation({ pinned: !page.conversation?.pinned }).catch(showError));
$("delete-chat").addEventListener("click", async () => {
  const c = page.conversation;
  if (!c) return;
  if (!window.confirm(`Delete "${c.title}" and all its messages? This cannot be undone.`)) return;
  try {
    await api("DELETE", `/api/v1/conversations/${encodeURIComponent(c.id)}`);
    newChat();
    await loadConversations();
  } catch (error) {
    showError(error);
  }
});

$("conversation-list").addEventListener("click", (event) => {
  const button = event.target.closest("button[data-conversation]");
  if (!button) return;
  closeDrawer(false);
  openConversation(button.dataset.conversation).catch(showError);
});

// ---- the conversations drawer (phones and tablets) ----

const drawerButton = $("open-conversations");
const backdrop = $("drawer-backdrop");
const layout = document.getElementById("main");

function openDrawer() {
  layout.classList.add("drawer-open");
  backdrop.hidden = false;
  drawerButton.setAttribute("aria-expanded", "true");
  $("new-chat").focus();
}

/** Close the drawer; focus goes back to its button unless the person moves on elsewhere. */
function closeDrawer(restoreFocus = true) {
  if (!layout.classList.contains("drawer-open")) return;
  layout.classList.remove("drawer-open");
  backdrop.hidden = true;
  drawerButton.setAttribute("aria-expanded", "false");
  if (restoreFocus) drawerButton.focus();
}

drawerButton.addEventListener("click", openDrawer);
backdrop.addEventListener("click", () => closeDrawer());
$("chat-sidebar").addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeDrawer();
});
$("new-chat").addEventListener("click", () => closeDrawer(false));

plus.addEventListener("click", () => (menu.hidden ? openMenu() : closeMenu()));
menu.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    closeMenu();
    plus.focus();
  }
});
document.addEventListener("click", (event) => {
  if (!menu.hidden && !event.target.closest(".composer-plus")) closeMenu();
});

$("menu-apps")?.addEventListener("click", (event) => {
  const picker = $("app-picker");
  picker.hidden = !picker.hidden;
  event.currentTarget.setAttribute("aria-expanded", String(!picker.hidden));
});
$("app-choices")?.addEventListener("change", showChoices);
readOnly.addEventListener("change", showChoices);
knowledge.addEventListener("change", showChoices);
model.addEventListener("input", showChoices);

$("approval-approve").addEventListener("click", () => decide("approve"));
$("approval-deny").addEventListener("click", () => decide("deny"));
$("approval-stop").addEventListener("click", () => stopWaitingTurn().catch(showError));
// Escape does not decide: the action waits until Approve, Deny or Stop the turn.
dialog.addEventListener("cancel", (event) => event.preventDefault());

async function start() {
  await Promise.all([loadModels(), loadApps()]);
  await loadConversations();
  const params = new URLSearchParams(window.location.search);
  if (params.get("oauth") === "connected" && params.get("app")) page.connected.add(params.get("app"));
  const wanted = params.get("c");
  if (wanted) await openConversation(wanted);
  else showHead();
  // Shown once: the address keeps only the conversation.
  const outcome = connectOutcome(params);
  if (outcome) {
    status.textContent = outcome;
    history.replaceState(null, "", wanted ? `/chat?c=${encodeURIComponent(wanted)}` : "/chat");
  }
}

start().catch(showError);
