// Workspace → Audit log: "Load more" appends older entries from the API, built
// as the server builds the first page. Entries hold tool names, arguments and
// results from third-party servers: they go in as text only (dom.js).

import { api } from "./api.js";
import { el, pretty, visible } from "./dom.js";

const more = document.getElementById("audit-more");
const list = document.getElementById("audit-list");

// `2026-11-22 14:05 UTC`, as the server writes times.
function humanTime(iso) {
  return `${new Date(iso).toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

// Whom or what an admin change names, in a few words, as the server writes it.
function subject(kind, detail) {
  if (!kind.includes(".")) return "";
  const parts = [detail?.user?.email, detail?.group?.name, detail?.token?.name, detail?.name].filter(
    (part) => typeof part === "string",
  );
  if (parts.length === 0 && detail && typeof detail === "object") {
    for (const key of Object.keys(detail).sort()) {
      if (["developer_mode", "default_model", "network"].includes(key)) parts.push(key.replaceAll("_", " "));
    }
  }
  return parts.join(" · ");
}

function entryItem(entry) {
  const actor = entry.actor;
  const app = entry.connector;
  const actorLabel = actor && (actor.email ? `${actor.name} <${actor.email}>` : "a removed user");
  return el(
    "li",
    { class: "audit-entry", dataset: { seq: String(entry.seq), kind: entry.kind } },
    el(
      "div",
      { class: "audit-line" },
      el("time", { datetime: entry.at }, humanTime(entry.at)),
      el("span", { class: "badge audit-kind", dataset: { kind: entry.kind } }, entry.kind),
      subject(entry.kind, entry.detail) ? el("span", { class: "audit-subject" }, visible(subject(entry.kind, entry.detail))) : null,
      entry.tool ? el("code", { class: "audit-tool" }, visible(entry.tool)) : null,
      app
        ? el(
            "span",
            { class: "audit-app", title: app.id },
            app.name ? visible(app.name) : el("span", { class: "muted" }, "a deleted app"),
          )
        : null,
      entry.status ? el("span", { class: "badge call-status", dataset: { status: entry.status } }, entry.status) : null,
      entry.decision ? el("span", { class: "badge" }, entry.decision.replaceAll("_", " ")) : null,
      entry.classification
        ? el("span", { class: "badge kind", dataset: { kind: entry.classification } }, entry.classification)
        : null,
      entry.latency_us !== null && entry.latency_us !== undefined
        ? el("span", { class: "muted small" }, `${(entry.latency_us / 1000).toFixed(1)} ms`)
        : null,
    ),
    actor
      ? el(
          "p",
          { class: "audit-actor small" },
          "by ",
          el("span", { title: actor.id, class: actor.email ? null : "muted" }, visible(actorLabel)),
        )
      : null,
    el(
      "details",
      { class: "json-details" },
      el("summary", {}, `Record ${entry.seq}`),
      el("pre", { class: "json", tabindex: "0" }, visible(pretty(entry.detail))),
      el(
        "dl",
        { class: "facts small audit-facts" },
        el("dt", {}, "Id"),
        el("dd", {}, el("code", {}, entry.id)),
        el("dt", {}, "Hash"),
        el("dd", {}, el("code", {}, entry.hash ?? "none (written before the trail was chained)")),
      ),
    ),
  );
}

more?.addEventListener("click", async () => {
  const alert = document.getElementById("page-error");
  alert.textContent = "";
  more.disabled = true;
  try {
    const params = new URLSearchParams(more.dataset.query);
    params.set("cursor", more.dataset.cursor);
    params.set("limit", more.dataset.limit);
    const page = await api("GET", `/api/v1/audit?${params}`);
    list.append(...page.entries.map(entryItem));
    more.dataset.cursor = page.next_cursor ?? "";
    more.hidden = !page.next_cursor;
  } catch (error) {
    alert.textContent = error.message;
  } finally {
    more.disabled = false;
  }
});
