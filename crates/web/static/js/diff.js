// What differs between two tool catalogs, field by field, as inert DOM.
import { el, jsonBlock, visible } from "./dom.js";

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

export function diffView(diff) {
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
  ];
}

