// A server's request for the person's input during a call (elicitation), shown as
// a card: a form built from the request's restricted schema, or a URL to open after
// the person confirms. The app's name and the server's message go in as text. The
// chat and the playground show these cards; each says where its answer goes.
import { api, ApiError } from "./api.js";
import { el, fill, visible } from "./dom.js";

// The cards shown, by request id, so a page that re-renders keeps what was typed.
const shown = new Map();

/** Whether any request waits on the person here (and has not run out of time). */
export function waitingForPerson() {
  const open = (node) => !(Date.parse(node.dataset.expires) + 2000 < Date.now());
  return [...shown.values()].some((node) => node.isConnected && node.dataset.state === "pending" && open(node));
}

/**
 * Show a request's card (the same node again when it is already shown).
 * `place(node)` puts it on the page; `answerPath` is where its answer is posted;
 * `onAnswered(view)` runs once the server took the answer.
 */
export function showElicitation(request, { place, answerPath, onAnswered = () => {} }) {
  let node = shown.get(request.id);
  if (!node) {
    node = card(request, answerPath, onAnswered);
    shown.set(request.id, node);
  }
  place(node);
  return node;
}

/** A request ended without an answer from here: say so on its card. */
export function endElicitation(id, note = "This request ended before it was answered; the app was told cancel.") {
  const node = shown.get(id);
  if (!node || node.dataset.state !== "pending") return;
  settle(node, "expired", note);
}

/** Forget the cards of requests that no longer wait (a conversation re-read, another opened). */
export function keepOnly(ids) {
  for (const [id, node] of shown) {
    if (!ids.has(id)) {
      if (node.dataset.state === "pending") node.remove();
      shown.delete(id);
    }
  }
}

function settle(node, state, note) {
  node.dataset.state = state;
  fill(node.querySelector(".elicitation-body"), el("p", { class: "elicitation-outcome small", role: "status" }, note));
}

const ACTION_NOTE = {
  accept: "Accepted; your answer went to",
  decline: "Declined; this was said to",
  cancel: "Cancelled; this was said to",
};

function card(request, answerPath, onAnswered) {
  const app = visible(request.connector_name || "An app");
  const body = el("div", { class: "elicitation-body" });
  const node = el(
    "section",
    {
      class: "elicitation",
      dataset: { elicitation: request.id, call: request.call_id ?? "", mode: request.mode, state: "pending", expires: request.expires_at ?? "" },
      "aria-label": `${app} asks for your input`,
    },
    el("header", { class: "elicitation-head" }, el("strong", { class: "connector-name" }, app), " asks for your input"),
    request.message ? el("p", { class: "elicitation-message" }, visible(request.message)) : null,
    body,
  );
  const alert = el("p", { class: "error", role: "alert", hidden: true });
  const answer = async (action, content) => {
    alert.hidden = true;
    for (const b of node.querySelectorAll("button")) b.disabled = true;
    try {
      const payload = content === undefined ? { action } : { action, content };
      const view = await api("POST", answerPath(request), payload);
      settle(node, view.state, `${ACTION_NOTE[action]} ${app}.`);
      onAnswered(view);
    } catch (error) {
      for (const b of node.querySelectorAll("button")) b.disabled = false;
      if (error instanceof ApiError && (error.status === 409 || error.status === 404)) {
        settle(node, "expired", `This request can no longer be answered: ${error.message}.`);
        return;
      }
      alert.textContent = error.message;
      alert.hidden = false;
    }
  };
  const choices = (accept) =>
    el(
      "div",
      { class: "elicitation-actions" },
      accept,
      el("button", { type: "button", class: "secondary", dataset: { action: "decline" } }, "Decline"),
      el("button", { type: "button", class: "secondary", dataset: { action: "cancel" } }, "Cancel"),
    );
  let actions;
  if (request.mode === "url") {
    actions = urlPart(request, app, body, (done) => answer(done));
  } else {
    const form = formOf(request, app);
    actions = choices(el("button", { type: "submit", class: "primary", dataset: { action: "accept" } }, "Accept"));
    form.append(alert, actions);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!form.reportValidity()) return;
      answer("accept", contentOf(form, request.requested_schema));
    });
    body.append(form);
  }
  if (request.mode === "url") body.append(alert, actions);
  actions.querySelector('[data-action="decline"]').addEventListener("click", () => answer("decline"));
  actions.querySelector('[data-action="cancel"]').addEventListener("click", () => answer("cancel"));
  return node;
}

/** The URL, its host emphasised, and a confirmation before it opens; the buttons. */
function urlPart(request, app, body, answer) {
  const url = String(request.url ?? "");
  const host = request.url_host ?? "";
  const at = host ? url.indexOf(host) : -1;
  const shownUrl =
    at >= 0
      ? el("code", { class: "elicitation-url" }, visible(url.slice(0, at)), el("strong", {}, visible(host)), visible(url.slice(at + host.length)))
      : el("code", { class: "elicitation-url" }, visible(url));
  body.append(el("p", { class: "small" }, `${app} asks you to open this link:`), el("p", {}, shownUrl));
  const done = el("button", { type: "button", class: "primary", dataset: { action: "accept" }, hidden: true }, "Done");
  done.addEventListener("click", () => answer("accept"));
  const actions = el("div", { class: "elicitation-actions" }, done);
  if (!request.url_openable) {
    body.append(el("p", { class: "elicitation-warning", role: "note" }, "Switchboard does not open this link: only http and https links can be opened."));
  } else {
    const confirm = el(
      "div",
      { class: "elicitation-confirm", hidden: true },
      el("p", { class: "small" }, "Open ", el("strong", {}, visible(host)), " in a new tab?"),
      el("button", { type: "button", class: "primary", dataset: { action: "open" } }, `Open ${visible(host)}`),
      el("button", { type: "button", class: "secondary", dataset: { action: "back" } }, "Back"),
    );
    const open = el("button", { type: "button", class: "primary", dataset: { action: "confirm-open" } }, "Open link…");
    open.addEventListener("click", () => {
      open.hidden = true;
      confirm.hidden = false;
    });
    confirm.querySelector('[data-action="back"]').addEventListener("click", () => {
      confirm.hidden = true;
      open.hidden = false;
    });
    confirm.querySelector('[data-action="open"]').addEventListener("click", () => {
      window.open(url, "_blank", "noopener,noreferrer");
      confirm.hidden = true;
      done.hidden = false;
      body.querySelector(".elicitation-opened")?.removeAttribute("hidden");
    });
    actions.prepend(open);
    body.append(confirm, el("p", { class: "elicitation-opened small muted", hidden: true }, `Opened. When you have finished there, choose Done so ${app} goes on.`));
  }
  actions.append(
    el("button", { type: "button", class: "secondary", dataset: { action: "decline" } }, "Decline"),
    el("button", { type: "button", class: "secondary", dataset: { action: "cancel" } }, "Cancel"),
  );
  return actions;
}

/** The choices of an enum property: [value, label] pairs. */
function choicesOf(property) {
  if (Array.isArray(property?.enum)) {
    const names = Array.isArray(property.enumNames) ? property.enumNames : [];
    return property.enum.map((v, i) => [v, names[i] ?? v]);
  }
  const titled = property?.oneOf ?? property?.anyOf;
  if (Array.isArray(titled)) return titled.filter((o) => o && "const" in o).map((o) => [o.const, o.title ?? o.const]);
  return null;
}

const SECRET_WORDS = ["password", "passwd", "passphrase", "secret", "token", "apikey", "privatekey", "accesskey"];

/** A field that looks like a secret (the same rule as the server's). */
function looksSecret(name, property, secretFields) {
  if (secretFields.includes(name) || property?.format === "password") return true;
  const words = `${name} ${property?.title ?? ""}`.toLowerCase().replace(/[_-]/g, " ");
  return SECRET_WORDS.some((w) => words.replaceAll(" ", "").includes(w));
}

function formOf(request, app) {
  const schema = request.requested_schema && typeof request.requested_schema === "object" ? request.requested_schema : {};
  const properties = schema.properties && typeof schema.properties === "object" ? schema.properties : {};
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const secretFields = Array.isArray(request.secret_fields) ? request.secret_fields : [];
  const form = el("form", { class: "elicitation-form" });
  // The fields' order does not survive the trip (JSON objects are unordered on the way):
  // required fields first, in the order the server lists them, then the others.
  const order = Array.isArray(schema.required) ? schema.required : [];
  const rank = (name) => (order.includes(name) ? order.indexOf(name) : order.length);
  const fields = Object.entries(properties).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b));
  for (const [name, property] of fields) {
    const id = `elicit-${request.id}-${name}`.replace(/[^A-Za-z0-9_-]/g, "_");
    const label = visible(property?.title ?? name);
    const secret = looksSecret(name, property, secretFields);
    const field = fieldOf(name, property ?? {}, id, required.has(name), secret);
    const describe = property?.description ? el("span", { class: "small muted field-description" }, visible(property.description)) : null;
    const warning = secret
      ? el(
          "p",
          { class: "elicitation-warning", role: "note" },
          `${app} asks for a secret (${label}). Enter it only if you trust ${app} with it: the app receives it; Switchboard does not keep it.`,
        )
      : null;
    if (field.tagName === "FIELDSET") {
      field.prepend(el("legend", {}, label, required.has(name) ? " *" : null));
      form.append(el("div", { class: "field", dataset: { field: name } }, field, describe, warning));
    } else if (field.type === "checkbox") {
      form.append(el("div", { class: "field check", dataset: { field: name } }, el("label", { for: id }, field, " ", label), describe, warning));
    } else {
      form.append(el("div", { class: "field", dataset: { field: name } }, el("label", { for: id }, label, required.has(name) ? " *" : null), field, describe, warning));
    }
  }
  return form;
}

function fieldOf(name, property, id, required, secret) {
  const type = property.type;
  const choices = choicesOf(property);
  if (type === "array") {
    const items = choicesOf(property.items) ?? [];
    const defaults = Array.isArray(property.default) ? property.default : [];
    return el(
      "fieldset",
      { class: "choices", id, dataset: { name, kind: "array" } },
      items.map(([value, title], i) =>
        el("label", {}, el("input", { type: "checkbox", name, value: String(value), checked: defaults.includes(value), dataset: { index: String(i) } }), " ", visible(title)),
      ),
    );
  }
  if (choices) {
    const select = el(
      "select",
      { id, name, required, dataset: { kind: "enum" } },
      required ? null : el("option", { value: "" }, "—"),
      choices.map(([value, title]) => el("option", { value: String(value) }, visible(title))),
    );
    if (property.default !== undefined) select.value = String(property.default);
    return select;
  }
  if (type === "boolean") {
    return el("input", { type: "checkbox", id, name, checked: property.default === true, dataset: { kind: "boolean" } });
  }
  if (type === "number" || type === "integer") {
    return el("input", {
      type: "number",
      id,
      name,
      required,
      min: property.minimum,
      max: property.maximum,
      step: type === "integer" ? "1" : "any",
      value: property.default !== undefined ? String(property.default) : undefined,
      dataset: { kind: type },
    });
  }
  const inputType = secret
    ? "password"
    : { email: "email", uri: "url", date: "date", "date-time": "datetime-local" }[property.format] ?? "text";
  return el("input", {
    type: inputType,
    id,
    name,
    required,
    minlength: property.minLength,
    maxlength: property.maxLength,
    autocomplete: secret ? "off" : undefined,
    value: typeof property.default === "string" && inputType !== "datetime-local" ? property.default : undefined,
    dataset: { kind: property.format === "date-time" ? "date-time" : "string" },
  });
}

/** The form's values as the schema's types; empty optional fields are left out. */
function contentOf(form, schema) {
  const content = {};
  const properties = schema?.properties ?? {};
  for (const name of Object.keys(properties)) {
    const wrapper = form.querySelector(`[data-field="${CSS.escape(name)}"]`);
    const field = wrapper?.querySelector("input, select, fieldset");
    if (!field) continue;
    const kind = field.dataset.kind;
    if (kind === "array") {
      const items = choicesOf(properties[name]?.items) ?? [];
      content[name] = [...field.querySelectorAll("input:checked")].map((i) => items[Number(i.dataset.index)]?.[0]);
    } else if (kind === "boolean") {
      content[name] = field.checked;
    } else if (field.value === "") {
      continue;
    } else if (kind === "number" || kind === "integer") {
      content[name] = Number(field.value);
    } else if (kind === "enum") {
      const match = (choicesOf(properties[name]) ?? []).find(([v]) => String(v) === field.value);
      content[name] = match ? match[0] : field.value;
    } else if (kind === "date-time") {
      const at = new Date(field.value);
      content[name] = Number.isNaN(at.getTime()) ? field.value : at.toISOString();
    } else {
      content[name] = field.value;
    }
  }
  return content;
}
