// Governing an app, for owners and admins: the publish dialog (safety review,
// Configure actions, Configure access), whom a published app is shared with,
// Unpublish, and the review of what a refresh found (pending change sets).
import { api } from "./api.js";
import { diffView } from "./diff.js";
import { el, fill, jsonDetails, visible } from "./dom.js";

const WARNING_TITLES = {
  write: "Write",
  destructive: "Destructive",
  open_world: "Open world",
  no_annotations: "No annotations",
  addresses_model: "Speaks to the model",
  hidden_text: "Hidden text",
  long_description: "Long description",
  shadows_another_app: "Same name as another app's",
  needs_tasks: "Needs tasks",
};

// Warnings that should make an admin think twice before turning an action on.
const SUSPICIOUS = new Set(["addresses_model", "hidden_text", "shadows_another_app"]);

export class Governance {
  constructor(root, base) {
    this.root = root;
    this.base = base;
    this.dialog = document.getElementById("publish-dialog");
    this.pageError = document.getElementById("page-error");
    this.changes = document.getElementById("changes");
    document.getElementById("publish")?.addEventListener("click", () => this.guard(() => this.openPublish()));
    document.getElementById("edit-access")?.addEventListener("click", () => this.guard(() => this.openAccess()));
    document.getElementById("unpublish")?.addEventListener("click", () => this.guard(() => this.unpublish()));
    this.loadChanges().catch((error) => {
      this.pageError.textContent = `Could not load the changes to review: ${error.message}`;
    });
  }

  async guard(action) {
    this.pageError.textContent = "";
    try {
      await action();
    } catch (error) {
      this.pageError.textContent = error.message;
    }
  }

  // ---- publish ----

  async openPublish() {
    const [review, groups] = await Promise.all([api("GET", `${this.base}/publish-review`), api("GET", "/api/v1/groups")]);
    const s = review.summary;
    const rows = review.actions.map((action) => this.reviewRow(action));
    const access = accessFields(groups, { everyone: false, groups: [] });
    const error = el("p", { role: "alert", class: "error" });
    const submit = el("button", { type: "submit", class: "primary", id: "publish-confirm" }, "Publish");
    const form = el(
      "form",
      { method: "dialog", class: "stack", id: "publish-form" },
      el("h2", { id: "publish-title" }, "Publish ", visible(this.root.dataset.name)),
      el(
        "p",
        { class: "review-summary" },
        `${s.actions} action${s.actions === 1 ? "" : "s"}: ${s.writes} write${s.writes === 1 ? "" : "s"}, ${s.destructive} destructive, ${s.open_world} open world.`,
        s.suspicious > 0
          ? el("strong", { class: "warning-text" }, ` ${s.suspicious} with descriptions that speak to the model or hide text: read them first.`)
          : null,
      ),
      el("p", { class: "muted small" }, "Publishing connects to the server again and pins each action's definition as it is now. Later changes to the server's tools wait for review; new actions arrive turned off."),
      el("fieldset", { class: "review" }, el("legend", {}, "Configure actions"), el("ul", { class: "review-list" }, rows)),
      el("fieldset", { class: "access" }, el("legend", {}, "Configure access"), access.node),
      error,
      el(
        "div",
        { class: "form-actions" },
        el("button", { type: "button", id: "publish-cancel" }, "Cancel"),
        submit,
      ),
    );
    form.querySelector("#publish-cancel").addEventListener("click", () => this.dialog.close());
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      const enabled = [...form.querySelectorAll("input[name=action]:checked")].map((box) => box.value);
      submit.disabled = true;
      submit.textContent = "Connecting…";
      try {
        await api("POST", `${this.base}/publish`, { enabled_actions: enabled, access: access.value() });
        window.location.reload();
      } catch (e) {
        error.textContent = e.message;
        submit.disabled = false;
        submit.textContent = "Publish";
      }
    });
    fill(this.dialog, form);
    this.dialog.showModal();
  }

  reviewRow(action) {
    const suspicious = action.warnings.some((w) => SUSPICIOUS.has(w.kind));
    const id = `publish-action-${action.name}`;
    const box = el("input", { type: "checkbox", name: "action", value: action.name, id, checked: action.enabled && !suspicious });
    return el(
      "li",
      { class: "review-item", dataset: { tool: action.name, suspicious: String(suspicious) } },
      el(
        "label",
        { for: id, class: "review-head checkbox" },
        box,
        el("strong", {}, visible(action.display_name)),
        " ",
        el("code", {}, visible(action.name)),
        " ",
        el("span", { class: "badge kind", dataset: { kind: action.classification } }, action.classification),
      ),
      action.description ? el("p", { class: "tool-description small" }, visible(action.description)) : el("p", { class: "muted small" }, "No description."),
      action.warnings.length
        ? el(
            "ul",
            { class: "warnings small" },
            action.warnings.map((w) =>
              el("li", { dataset: { warning: w.kind } }, el("strong", {}, WARNING_TITLES[w.kind] ?? visible(w.kind)), ": ", visible(w.message)),
            ),
          )
        : el("p", { class: "small ok-text" }, "No warnings."),
      jsonDetails("Input schema", action.definition?.inputSchema ?? {}),
    );
  }

  // ---- access ----

  async openAccess() {
    const [app, groups] = await Promise.all([api("GET", this.base), api("GET", "/api/v1/groups")]);
    const access = accessFields(groups, app.access);
    const error = el("p", { role: "alert", class: "error" });
    const save = el("button", { type: "submit", class: "primary", id: "access-save" }, "Save");
    const form = el(
      "form",
      { method: "dialog", class: "stack", id: "access-form" },
      el("h2", { id: "publish-title" }, "Who may use ", visible(this.root.dataset.name)),
      el("p", { class: "muted small" }, "Takes effect on the next request. Owners and admins always see every app."),
      el("fieldset", { class: "access" }, el("legend", {}, "Configure access"), access.node),
      error,
      el("div", { class: "form-actions" }, el("button", { type: "button", id: "access-cancel" }, "Cancel"), save),
    );
    form.querySelector("#access-cancel").addEventListener("click", () => this.dialog.close());
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      error.textContent = "";
      save.disabled = true;
      try {
        await api("PUT", `${this.base}/access`, access.value());
        window.location.reload();
      } catch (e) {
        error.textContent = e.message;
        save.disabled = false;
      }
    });
    fill(this.dialog, form);
    this.dialog.showModal();
  }

  async unpublish() {
    const name = this.root.dataset.name;
    if (!window.confirm(`Unpublish "${name}"? Only its creator (in developer mode) and admins will see it; conversations using it lose its actions.`)) return;
    await api("POST", `${this.base}/unpublish`);
    window.location.reload();
  }

  // ---- pending changes ----

  async loadChanges() {
    if (!this.changes) return;
    const changes = await api("GET", `${this.base}/changes`);
    const pending = changes.find((c) => c.state === "pending");
    const decided = changes.filter((c) => c.state !== "pending").slice(0, 10);
    if (!pending && decided.length === 0) {
      this.changes.hidden = true;
      return;
    }
    fill(
      this.changes,
      el("div", { class: "panel-head" }, el("h2", {}, pending ? "Changes to review" : "Reviewed changes")),
      pending ? this.pendingView(pending) : el("p", { class: "muted" }, "Nothing awaits review: the server lists the pinned definitions."),
      decided.length
        ? el(
            "details",
            { class: "history" },
            el("summary", {}, `Earlier change sets (${decided.length})`),
            el(
              "ul",
              { class: "small" },
              decided.map((c) =>
                el("li", { dataset: { change: c.id, state: c.state } }, `${c.state}, ${new Date(c.created_at).toLocaleString()}: `, summary(c.diff)),
              ),
            ),
          )
        : null,
    );
    this.changes.hidden = false;
    if (window.location.hash === "#changes" && pending) this.changes.scrollIntoView();
  }

  pendingView(change) {
    const error = el("p", { role: "alert", class: "error" });
    const decide = (verb) => async (event) => {
      const button = event.currentTarget;
      error.textContent = "";
      button.disabled = true;
      try {
        await api("POST", `${this.base}/changes/${encodeURIComponent(change.id)}/${verb}`);
        window.location.reload();
      } catch (e) {
        error.textContent = e.message;
        button.disabled = false;
      }
    };
    const accept = el("button", { type: "button", class: "primary", id: "accept-change" }, "Accept");
    const reject = el("button", { type: "button", id: "reject-change" }, "Reject");
    accept.addEventListener("click", decide("accept"));
    reject.addEventListener("click", decide("reject"));
    return el(
      "div",
      { class: "pending-change", dataset: { change: change.id } },
      el(
        "p",
        {},
        change.source === "drift" ? "The background check found " : "A refresh found ",
        summary(change.diff),
        ` on ${new Date(change.created_at).toLocaleString()}. The pinned definitions stay in force until you accept; new actions arrive turned off; removed actions are already gone.`,
      ),
      diffView(change.diff),
      error,
      el("div", { class: "form-actions" }, reject, accept),
    );
  }
}

function summary(diff) {
  const parts = [];
  if (diff.added.length) parts.push(`${diff.added.length} added`);
  if (diff.changed.length) parts.push(`${diff.changed.length} changed`);
  if (diff.removed.length) parts.push(`${diff.removed.length} removed`);
  return parts.length ? parts.join(", ") : "no difference";
}

// Everyone, or some groups: the fields and a function that reads them.
function accessFields(groups, current) {
  const everyone = el("input", { type: "radio", name: "access-mode", value: "everyone", id: "access-everyone", checked: current.everyone });
  const some = el("input", { type: "radio", name: "access-mode", value: "groups", id: "access-groups", checked: !current.everyone });
  const boxes = groups.map((g) =>
    el("input", { type: "checkbox", name: "access-group", value: g.id, id: `access-group-${g.id}`, checked: current.groups.includes(g.id) }),
  );
  const list = el(
    "ul",
    { class: "group-choices" },
    groups.length
      ? groups.map((g, i) => el("li", {}, el("label", { for: `access-group-${g.id}`, class: "checkbox" }, boxes[i], " ", visible(g.name), el("span", { class: "muted small" }, ` ${g.member_count} member${g.member_count === 1 ? "" : "s"}`))))
      : el("li", { class: "muted small" }, "No groups yet: create them under Workspace → Groups, or share with everyone."),
  );
  const sync = () => {
    for (const b of boxes) b.disabled = everyone.checked;
  };
  everyone.addEventListener("change", sync);
  some.addEventListener("change", sync);
  sync();
  const node = [
    el("label", { for: "access-everyone", class: "radio" }, everyone, " Everyone in the workspace"),
    el("label", { for: "access-groups", class: "radio" }, some, " Only members of these groups"),
    list,
  ];
  return {
    node,
    value: () => ({ everyone: everyone.checked, groups: everyone.checked ? [] : boxes.filter((b) => b.checked).map((b) => b.value) }),
  };
}
