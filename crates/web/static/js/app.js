// An app's page: its actions (badges, on/off, schema), Refresh with the diff,
// the doctor's report, Delete, and the playground (playground.js).
import { api } from "./api.js";
import { el, fill, jsonBlock, jsonDetails, stepItems, visible } from "./dom.js";
import { Playground } from "./playground.js";

const root = document.getElementById("app");
const base = `/api/v1/connectors/${encodeURIComponent(root.dataset.id)}`;
const pageError = document.getElementById("page-error");
const playground = new Playground(document.getElementById("playground"), base);
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
  return [
    el("span", { class: "badge kind", dataset: { kind: tool.classification } }, tool.classification),
    tool.risk.destructive
      ? el("span", { class: "badge risk", dataset: { risk: "destructive" }, title: "destructiveHint is not false" }, "destructive")
      : null,
    tool.risk.open_world
      ? el("span", { class: "badge risk", dataset: { risk: "open_world" }, title: "openWorldHint is not false" }, "open world")
      : null,
  ];
}

function toolRow(tool) {
  const definition = tool.definition ?? {};
  const toggle = el("input", {
    type: "checkbox",
    role: "switch",
    class: "switch tool-toggle",
    "aria-label": `${tool.name} on`,
    checked: tool.enabled,
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
      el("details", { class: "json-details" }, el("summary", {}, "The client's error message"), el("pre", { class: "json" }, visible(error.message))),
    );
  }
  return el("p", { class: "error" }, error.message);
}

function toolNames(list) {
  return el(
    "ul",
    { class: "names" },
    list.map((t) => el("li", {}, el("code", {}, visible(t.name)), t.title ? ` ${visible(t.title)}` : null)),
  );
}

function valueCell(value) {
  return value === undefined || value === null ? el("span", { class: "muted" }, "(none)") : jsonBlock(value);
}

function diffView(diff) {
  const total = diff.added.length + diff.removed.length + diff.changed.length;
  if (total === 0) return [el("p", { id: "diff-none" }, "No changes: the server lists the same tools, defined the same way.")];
  const section = (kind, title, list, body) =>
    list.length === 0
      ? null
      : el("section", { class: "diff-part", dataset: { diff: kind } }, el("h3", {}, `${title} (${list.length})`), body);
  return [
    section("added", "Added", diff.added, toolNames(diff.added)),
    section("removed", "Removed", diff.removed, toolNames(diff.removed)),
    section(
      "changed",
      "Changed",
      diff.changed,
      diff.changed.map((change) =>
        el(
          "div",
          { class: "change", dataset: { tool: change.tool } },
          el("h4", {}, el("code", {}, visible(change.tool))),
          el(
            "div",
            { class: "table-wrap" },
            el(
              "table",
              { class: "fields-diff" },
              el("thead", {}, el("tr", {}, el("th", {}, "Field"), el("th", {}, "Before"), el("th", {}, "After"))),
              el(
                "tbody",
                {},
                change.fields.map((f) =>
                  el("tr", {}, el("td", {}, el("code", {}, visible(f.field))), el("td", {}, valueCell(f.before)), el("td", {}, valueCell(f.after))),
                ),
              ),
            ),
          ),
        ),
      ),
    ),
    diff.applied ? el("p", { class: "muted small" }, "A draft takes the new definitions at once; the actions below are up to date.") : null,
  ];
}

const refresh = document.getElementById("refresh");
refresh.addEventListener("click", async () => {
  refresh.disabled = true;
  panel("refresh-panel", "Refresh", el("p", { class: "muted" }, "Listing the server's tools again…"));
  try {
    const diff = await api("POST", `${base}/refresh`);
    panel("refresh-panel", "Refresh: what changed", ...diffView(diff));
    await loadTools();
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

document.getElementById("delete-app").addEventListener("click", async (event) => {
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
