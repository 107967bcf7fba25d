// An app's page: its actions (badges, on/off, schema), Refresh with the diff,
// the doctor's report, Delete, and the playground (playground.js).
import { api } from "./api.js";
import { el, fill, jsonDetails, stepItems, visible } from "./dom.js";
import { diffView } from "./diff.js";
import { Governance } from "./governance.js";
import { OAuthConnection } from "./oauth.js";
import { Playground } from "./playground.js";

const root = document.getElementById("app");
const base = `/api/v1/connectors/${encodeURIComponent(root.dataset.id)}`;
const pageError = document.getElementById("page-error");
const playground = new Playground(document.getElementById("playground"), base);
const canManage = root.dataset.canManage === "true";
const canGovern = root.dataset.canGovern === "true";
const governance = canGovern ? new Governance(root, base) : null;
new OAuthConnection(base);
let tools = [];

// ---- actions ----

async function loadTools() {
  tools = await api("GET", `${base}/tools`);
  const body = document.getElementById("tools");
  fill(body, ...tools.map(toolRow));
  if (tools.length === 0) {
    fill(body, el("tr", {}, el("td", { colspan: 3, class: "muted" }, "The server lists no tools.")));
  }
  const on = tools.filter((t) => t.enabled).length;
  document.getElementById("tool-count").textContent =
    `${tools.length} action${tools.length === 1 ? "" : "s"}, ${on} on`;
  playground.setTools(tools);
}

function badges(tool) {
  const raise = canGovern && tool.advertised_classification === "read" ? raiseButton(tool) : null;
  return [
    el("span", { class: "badge kind", dataset: { kind: tool.classification } }, tool.classification),
    tool.raised ? el("span", { class: "badge raised", title: "The server marks it read-only; an admin made it ask for confirmation" }, "raised") : null,
    tool.risk.destructive
      ? el("span", { class: "badge risk", dataset: { risk: "destructive" }, title: "destructiveHint is not false" }, "destructive")
      : null,
    tool.risk.open_world
      ? el("span", { class: "badge risk", dataset: { risk: "open_world" }, title: "openWorldHint is not false" }, "open world")
      : null,
    tool.auth ? authBadge(tool.auth) : null,
    raise,
  ];
}

// In a mixed-auth app, what an action's calls need (its securitySchemes).
const AUTH_BADGES = {
  none: ["no sign-in", "Its securitySchemes say noauth: called without your account"],
  optional: ["sign-in optional", "noauth and oauth2: called with your account when you have connected it"],
  oauth: ["your account", "Called with your OAuth connection (Your connection, above); connect first"],
};
function authBadge(auth) {
  const [label, title] = AUTH_BADGES[auth] ?? [visible(auth), ""];
  return el("span", { class: "badge auth", dataset: { auth }, title }, label);
}

// Owners and admins may make a read action ask for confirmation, and take that back.
function raiseButton(tool) {
  const button = el(
    "button",
    { type: "button", class: "link small raise", dataset: { raise: tool.name } },
    tool.raised ? "Undo: treat as read" : "Ask before each call",
  );
  button.addEventListener("click", async () => {
    pageError.textContent = "";
    button.disabled = true;
    try {
      await api("PATCH", `${base}/tools/${encodeURIComponent(tool.name)}`, { classification: tool.raised ? "read" : "write" });
      await loadTools();
    } catch (error) {
      pageError.textContent = `Could not change ${tool.name}: ${error.message}`;
      button.disabled = false;
    }
  });
  return button;
}

function toolRow(tool) {
  const definition = tool.definition ?? {};
  const toggle = el("input", {
    type: "checkbox",
    role: "switch",
    class: "switch tool-toggle",
    "aria-label": `${tool.name} on`,
    checked: tool.enabled,
    disabled: !canManage,
    title: canManage ? null : "Only owners and admins change a published app",
  });
  const status = el("span", { class: "switch-status", dataset: { state: tool.enabled ? "on" : "off" } }, tool.enabled ? "On" : "Off");
  toggle.addEventListener("change", () => setEnabled(tool, toggle, status));
  return el(
    "tr",
    { dataset: { tool: tool.name } },
    el(
      "td",
      { class: "tool-cell" },
      el("div", { class: "tool-title" }, el("strong", {}, visible(tool.display_name)), " ", el("code", {}, visible(tool.name))),
      tool.description
        ? el("p", { class: "tool-description small" }, visible(tool.description))
        : el("p", { class: "muted small" }, "No description."),
      jsonDetails("Input schema", definition.inputSchema ?? {}, { class: "json-details schema" }),
      definition.outputSchema ? jsonDetails("Output schema", definition.outputSchema) : null,
      definition.annotations ? jsonDetails("Annotations", definition.annotations) : null,
    ),
    el("td", { class: "badges" }, badges(tool)),
    el("td", {}, el("div", { class: "switch-wrap" }, toggle, status)),
  );
}

async function setEnabled(tool, toggle, status) {
  pageError.textContent = "";
  toggle.disabled = true;
  try {
    const updated = await api("PATCH", `${base}/tools/${encodeURIComponent(tool.name)}`, { enabled: toggle.checked });
    tool.enabled = updated.enabled;
  } catch (error) {
    pageError.textContent = `Could not turn ${tool.name} ${toggle.checked ? "on" : "off"}: ${error.message}`;
  } finally {
    toggle.checked = tool.enabled;
    toggle.disabled = false;
    status.textContent = tool.enabled ? "On" : "Off";
    status.dataset.state = tool.enabled ? "on" : "off";
    const on = tools.filter((t) => t.enabled).length;
    document.getElementById("tool-count").textContent =
      `${tools.length} action${tools.length === 1 ? "" : "s"}, ${on} on`;
    playground.setTools(tools);
  }
}

// ---- panels (refresh, doctor) ----

function panel(id, title, ...children) {
  const box = document.getElementById(id);
  const close = el("button", { type: "button", class: "link small", "aria-label": `Close ${title}` }, "Close");
  close.addEventListener("click", () => {
    box.hidden = true;
  });
  fill(box, el("div", { class: "panel-head" }, el("h2", {}, title), close), ...children);
  box.hidden = false;
  return box;
}

// A failure: its message, and the diagnosis when the server could not be reached.
function failure(error) {
  const steps = error.details?.steps;
  if (error.code === "connection_failed" && Array.isArray(steps)) {
    return el(
      "div",
      { class: "diagnosis-box" },
      el("p", {}, el("strong", {}, "Could not connect to the server."), " What was tried, step by step:"),
      el("ol", { class: "steps" }, stepItems(steps)),
      el("details", { class: "json-details" }, el("summary", {}, "The client's error message"), el("pre", { class: "json", tabindex: "0" }, visible(error.message))),
    );
  }
  return el("p", { class: "error" }, error.message);
}

// What became of a refresh: applied (drafts) or recorded for review (published apps).
function refreshNote(result) {
  if (result.applied) return el("p", { class: "muted small" }, "A draft takes the new definitions at once; the actions below are up to date.");
  const notes = {
    nothing_new: "Nothing to review: the pinned definitions match what the server lists.",
    pending: "Recorded for review: the pinned definitions stay in force until an owner or admin accepts the change below.",
    already_pending: "The same change already awaits review below.",
    rejected_before: "An admin rejected this same change before: the pinned definitions stay in force.",
  };
  const removed = result.removed?.length ? " Removed actions can no longer be called." : "";
  return el("p", { class: "small", id: "refresh-note" }, (notes[result.review] ?? "") + removed);
}

const refresh = document.getElementById("refresh");
refresh?.addEventListener("click", async () => {
  refresh.disabled = true;
  panel("refresh-panel", "Refresh", el("p", { class: "muted" }, "Listing the server's tools again…"));
  try {
    const result = await api("POST", `${base}/refresh`);
    panel("refresh-panel", "Refresh: what changed", ...diffView(result), refreshNote(result));
    await loadTools();
    await governance?.loadChanges();
  } catch (error) {
    panel("refresh-panel", "Refresh failed", failure(error));
  } finally {
    refresh.disabled = false;
  }
});

// ---- doctor ----

const STATUS_WORDS = { pass: "pass", warn: "warning", fail: "fail" };

function doctorView(report) {
  const server = report.server ? `${report.server.name ?? ""} ${report.server.version ?? ""}`.trim() : null;
  return [
    el(
      "p",
      { class: "doctor-summary" },
      el("span", { class: "badge status", dataset: { status: report.ok ? "pass" : "fail" } }, report.ok ? "ready" : "not ready"),
      " ",
      report.transport ? ["Transport ", el("code", {}, visible(report.transport)), " "] : null,
      report.protocol_version ? ["· protocol ", el("code", {}, visible(report.protocol_version)), " "] : null,
      server ? ["· server ", visible(server)] : null,
    ),
    el(
      "ol",
      { class: "checks" },
      (report.checks ?? []).map((check) =>
        el(
          "li",
          { class: "check", dataset: { status: check.status, check: check.id } },
          el("span", { class: "badge status", dataset: { status: check.status } }, STATUS_WORDS[check.status] ?? visible(check.status)),
          el(
            "div",
            {},
            el("strong", {}, visible(check.title)),
            check.detail ? el("p", { class: "small" }, visible(check.detail)) : null,
            check.hint ? el("p", { class: "hint small" }, el("strong", {}, "Fix: "), visible(check.hint)) : null,
          ),
        ),
      ),
    ),
  ];
}

const doctor = document.getElementById("run-doctor");
doctor?.addEventListener("click", async () => {
  doctor.disabled = true;
  panel("doctor-panel", "Doctor", el("p", { class: "muted" }, "Checking the server…"));
  try {
    const report = await api("POST", "/api/v1/doctor", { url: root.dataset.url });
    panel("doctor-panel", "Doctor", ...doctorView(report));
  } catch (error) {
    panel("doctor-panel", "Doctor", failure(error));
  } finally {
    doctor.disabled = false;
  }
});

// ---- delete ----

document.getElementById("delete-app")?.addEventListener("click", async (event) => {
  const button = event.currentTarget;
  if (!window.confirm(`Delete the app "${root.dataset.name}" and its actions? This cannot be undone.`)) return;
  button.disabled = true;
  pageError.textContent = "";
  try {
    await api("DELETE", base);
    window.location.assign("/settings/apps");
  } catch (error) {
    pageError.textContent = error.message;
    button.disabled = false;
  }
});

// ---- warnings handed over by the Create app form ----

function showCreatedWarnings() {
  const key = `switchboard:created:${root.dataset.id}`;
  const stored = sessionStorage.getItem(key);
  if (stored === null) return;
  sessionStorage.removeItem(key);
  let warnings = [];
  try {
    warnings = JSON.parse(stored);
  } catch {
    return;
  }
  const box = document.getElementById("created-warnings");
  if (!Array.isArray(warnings) || warnings.length === 0) {
    box.querySelector("p").textContent = "App created: the server answered and every tool is listed below.";
    box.querySelector("ul").remove();
  } else {
    fill(box.querySelector("ul"), ...warnings.map((w) => el("li", {}, visible(w))));
  }
  box.hidden = false;
}

showCreatedWarnings();
loadTools().catch((error) => {
  pageError.textContent = `Could not load the actions: ${error.message}`;
});
