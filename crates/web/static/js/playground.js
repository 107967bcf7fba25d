// The playground: a form generated from an action's inputSchema (or raw JSON
// arguments), the call, and its result with the raw JSON-RPC exchange.
import { ApiError, api } from "./api.js";
import { connectButton, el, fill, jsonBlock, jsonDetails, pretty, visible } from "./dom.js";
import { showElicitation } from "./elicitation.js";
import { readEvents } from "./sse.js";
import { RpcError, confirmWrite, mountWidget } from "./widget.js";

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

// Whether the action runs as a task on its server (`execution.taskSupport`).
const runsAsTask = (tool) => ["required", "optional"].includes(tool.definition?.execution?.taskSupport);

// The kind of control a property gets.
function kindOf(prop) {
  if (typeof prop !== "object" || prop === null) return "json";
  const types = Array.isArray(prop.type) ? prop.type.filter((t) => t !== "null") : [prop.type];
  const type = types.length === 1 ? types[0] : undefined;
  if (Array.isArray(prop.enum) && prop.enum.length > 0 && prop.enum.every((v) => ["string", "number"].includes(typeof v))) {
    return "enum";
  }
  if (type === "string") return "string";
  if (type === "number" || type === "integer") return type;
  if (type === "boolean") return "boolean";
  if (type === "array" && prop.items?.type === "string" && !prop.items.enum) return "lines";
  return "json";
}

// One field of the form: its control, and how to read and write its value.
class Field {
  constructor(name, prop, required) {
    this.name = name;
    this.prop = typeof prop === "object" && prop !== null ? prop : {};
    this.required = required;
    this.kind = kindOf(prop);
    this.control = this.makeControl();
    this.message = el("p", { class: "field-error small", hidden: true });
    const help = this.prop.description ? el("small", { class: "muted help" }, visible(this.prop.description)) : null;
    const heading = [
      el("code", {}, visible(name)),
      required ? el("span", { class: "required", title: "required" }, " *") : null,
      this.prop.title ? el("span", { class: "muted" }, ` ${visible(this.prop.title)}`) : null,
      el("span", { class: "muted small type" }, ` ${this.typeWords()}`),
    ];
    if (this.kind === "boolean") {
      this.node = el("div", { class: "field", dataset: { field: name, kind: this.kind } },
        el("label", { class: "checkbox" }, this.control, heading), help, this.message);
    } else {
      this.node = el("div", { class: "field", dataset: { field: name, kind: this.kind } },
        el("label", {}, el("span", { class: "field-name" }, heading), this.control), help, this.message);
    }
    if ("default" in this.prop) this.write(this.prop.default);
  }

  typeWords() {
    switch (this.kind) {
      case "enum": return "one of the listed values";
      case "lines": return "list of strings, one per line";
      case "json": return "JSON";
      default: return this.kind;
    }
  }

  makeControl() {
    const common = { name: this.name, "aria-required": this.required ? "true" : null };
    switch (this.kind) {
      case "enum":
        return el("select", common,
          el("option", { value: "" }, this.required ? "— choose —" : "— leave out —"),
          this.prop.enum.map((v, i) => el("option", { value: String(i) }, visible(v))));
      case "string":
        return el("input", { ...common, type: "text", autocomplete: "off", spellcheck: "false",
          placeholder: this.prop.format ? this.prop.format : null });
      case "number":
      case "integer":
        return el("input", { ...common, type: "number", step: this.kind === "integer" ? "1" : "any",
          min: this.prop.minimum, max: this.prop.maximum });
      case "boolean":
        return el("input", { ...common, type: "checkbox" });
      case "lines":
        return el("textarea", { ...common, rows: 3, spellcheck: "false" });
      default:
        return el("textarea", { ...common, rows: 4, spellcheck: "false", class: "code",
          placeholder: this.prop.type === "object" || this.prop.properties ? "{ }" : "JSON" });
    }
  }

  // The value to send, `undefined` to leave the argument out; throws on input that is not valid.
  read() {
    const c = this.control;
    switch (this.kind) {
      case "enum":
        return c.value === "" ? undefined : this.prop.enum[Number(c.value)];
      case "string":
        return c.value === "" ? undefined : c.value;
      case "number":
      case "integer": {
        if (c.value === "") {
          if (c.validity.badInput) throw new Error("is not a number");
          return undefined;
        }
        return Number(c.value);
      }
      case "boolean":
        return c.checked || this.required || "default" in this.prop ? c.checked : undefined;
      case "lines": {
        const lines = c.value.split(/\r?\n/).filter((line) => line.trim() !== "");
        return lines.length === 0 && !this.required ? undefined : lines;
      }
      default: {
        if (c.value.trim() === "") return undefined;
        try {
          return JSON.parse(c.value);
        } catch (error) {
          throw new Error(`is not valid JSON (${error.message})`);
        }
      }
    }
  }

  // Show `value` in the control (a default, or arguments typed as raw JSON).
  write(value) {
    const c = this.control;
    switch (this.kind) {
      case "enum": {
        const i = this.prop.enum.indexOf(value);
        c.value = i < 0 ? "" : String(i);
        break;
      }
      case "boolean":
        c.checked = value === true;
        break;
      case "lines":
        c.value = Array.isArray(value) ? value.join("\n") : "";
        break;
      case "json":
        c.value = value === undefined ? "" : pretty(value);
        break;
      default:
        c.value = value === undefined || value === null ? "" : String(value);
    }
  }

  showError(text) {
    this.message.textContent = text ?? "";
    this.message.hidden = !text;
    this.node.classList.toggle("invalid", Boolean(text));
  }
}

export class Playground {
  constructor(root, base) {
    this.root = root;
    this.base = base;
    this.tools = [];
    this.fields = [];
    this.select = root.querySelector("#playground-tool");
    this.form = root.querySelector("#playground-form");
    this.raw = root.querySelector("#playground-raw");
    this.rawBox = root.querySelector("#playground-raw-box");
    this.rawText = root.querySelector("#playground-json");
    this.errors = root.querySelector("#playground-errors");
    this.status = root.querySelector("#playground-status");
    this.result = root.querySelector("#playground-result");
    this.select.addEventListener("change", () => this.showTool());
    this.raw.addEventListener("change", () => this.toggleRaw());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.call();
    });
  }

  get tool() {
    return this.tools.find((t) => t.name === this.select.value);
  }

  // The actions that can be called: the enabled ones. The choice survives when it still can.
  setTools(all) {
    const previous = this.select.value;
    this.tools = all.filter((t) => t.enabled);
    this.root.querySelector("#playground-empty").hidden = this.tools.length > 0;
    this.root.querySelector("#playground-body").hidden = this.tools.length === 0;
    fill(this.select,
      ...this.tools.map((t) =>
        el("option", { value: t.name }, `${visible(t.display_name)} (${visible(t.name)}) — ${t.classification}`),
      ),
    );
    const kept = this.tools.find((t) => t.name === previous);
    if (kept && JSON.stringify(kept.definition?.inputSchema) === this.shownSchema) {
      this.select.value = previous;
    } else {
      if (kept) this.select.value = previous;
      this.showTool();
    }
  }

  showTool() {
    const tool = this.tool;
    this.clearErrors();
    this.result.hidden = true;
    this.status.textContent = "";
    const container = this.root.querySelector("#playground-fields");
    const description = this.root.querySelector("#playground-tool-description");
    if (!tool) {
      this.shownSchema = undefined;
      fill(container);
      description.textContent = "";
      this.fields = [];
      return;
    }
    description.textContent = visible(tool.description ?? "");
    const schema = tool.definition?.inputSchema ?? {};
    this.shownSchema = JSON.stringify(tool.definition?.inputSchema);
    const required = new Set(Array.isArray(schema.required) ? schema.required : []);
    const properties = typeof schema.properties === "object" && schema.properties !== null ? schema.properties : {};
    // Required fields first; otherwise in the order the schema lists them.
    const names = Object.keys(properties);
    const ordered = [...names.filter((n) => required.has(n)), ...names.filter((n) => !required.has(n))];
    this.fields = ordered.map((name) => new Field(name, properties[name], required.has(name)));
    fill(container,
      ...(this.fields.length > 0
        ? this.fields.map((f) => f.node)
        : [el("p", { class: "muted small" }, "This action takes no arguments.")]),
    );
    if (this.raw.checked) this.rawText.value = pretty(this.formArguments(false));
  }

  // The arguments the form holds; with `strict`, a field that does not parse throws.
  formArguments(strict) {
    const args = {};
    let bad = false;
    for (const field of this.fields) {
      try {
        const value = field.read();
        if (value !== undefined) args[field.name] = value;
        field.showError(null);
      } catch (error) {
        bad = true;
        if (strict) field.showError(`${field.name} ${error.message}`);
      }
    }
    if (strict && bad) throw new Error("fix the fields marked above");
    return args;
  }

  toggleRaw() {
    this.clearErrors();
    if (this.raw.checked) {
      this.rawText.value = pretty(this.formArguments(false));
    } else {
      let parsed;
      try {
        parsed = JSON.parse(this.rawText.value || "{}");
      } catch (error) {
        this.raw.checked = true;
        this.showErrors(`The raw arguments are not valid JSON (${error.message}); fix them to go back to the form.`);
        return;
      }
      if (typeof parsed === "object" && parsed !== null) {
        for (const field of this.fields) field.write(parsed[field.name]);
      }
    }
    this.rawBox.hidden = !this.raw.checked;
    this.root.querySelector("#playground-fields").hidden = this.raw.checked;
  }

  clearErrors() {
    fill(this.errors);
    this.errors.hidden = true;
    for (const field of this.fields) field.showError(null);
  }

  showErrors(message, items = []) {
    fill(this.errors, el("p", {}, message), items.length ? el("ul", {}, items) : null);
    this.errors.hidden = false;
  }

  async call() {
    const tool = this.tool;
    if (!tool) return;
    this.clearErrors();
    let args;
    try {
      if (this.raw.checked) {
        try {
          args = JSON.parse(this.rawText.value || "{}");
        } catch (error) {
          throw new Error(`the raw arguments are not valid JSON (${error.message})`);
        }
      } else {
        args = this.formArguments(true);
      }
    } catch (error) {
      this.showErrors(`Not sent: ${error.message}.`);
      return;
    }
    const button = this.form.querySelector("button[type=submit]");
    button.disabled = true;
    this.status.textContent = `Calling ${tool.name}…`;
    this.result.hidden = true;
    if (runsAsTask(tool)) {
      await this.follow(tool, args, button);
      return;
    }
    const stopAsking = this.watchAsks();
    try {
      const outcome = await api("POST", `${this.base}/tools/${encodeURIComponent(tool.name)}/call`, { arguments: args });
      this.status.textContent = "";
      this.showResult(tool, args, outcome);
    } catch (error) {
      this.status.textContent = "";
      this.showFailure(error);
    } finally {
      stopAsking();
      button.disabled = false;
    }
  }

  // While a call runs, its server may ask for input: look for such requests and
  // show each as a form (or a URL) to answer. Returns what stops looking.
  watchAsks() {
    if (!this.asks) {
      this.asks = el("div", { class: "playground-asks", id: "playground-asks" });
      this.result.before(this.asks);
    }
    fill(this.asks);
    let stopped = false;
    const look = async () => {
      if (stopped) return;
      try {
        const asks = await api("GET", `${this.base}/elicitations`);
        for (const request of stopped ? [] : asks) {
          showElicitation(request, {
            place: (node) => {
              if (node.parentNode !== this.asks) this.asks.append(node);
            },
            answerPath: (r) => `${this.base}/elicitations/${encodeURIComponent(r.id)}`,
          });
        }
      } catch {
        // The call's own answer says what went wrong.
      }
      if (!stopped) setTimeout(look, 400);
    };
    setTimeout(look, 200);
    return () => {
      stopped = true;
      for (const node of this.asks.querySelectorAll(".elicitation[data-state=pending]")) node.remove();
    };
  }

  // A call that runs as a task: its status as it goes, and Stop, which closes the
  // stream (the server then cancels the task upstream).
  async follow(tool, args, button) {
    const controller = new AbortController();
    const stop = this.root.querySelector("#playground-stop");
    stop.hidden = false;
    stop.disabled = false;
    stop.onclick = () => {
      stop.disabled = true;
      this.status.textContent = "Stopping…";
      controller.abort();
    };
    try {
      const response = await fetch(`${this.base}/tools/${encodeURIComponent(tool.name)}/call/stream`, {
        method: "POST",
        headers: { Accept: "text/event-stream", "Content-Type": "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify({ arguments: args }),
        credentials: "same-origin",
        signal: controller.signal,
      });
      if (!response.ok) {
        const problem = await response.json().catch(() => ({ detail: `the server answered ${response.status}` }));
        throw new ApiError(response.status, problem);
      }
      for await (const event of readEvents(response.body)) {
        if (event.type === "task") {
          const status = visible(event.status);
          this.status.textContent = event.message ? `Task: ${status} — ${visible(event.message)}` : `Task: ${status}`;
        } else if (event.type === "progress") {
          const total = typeof event.total === "number" ? ` / ${event.total}` : "";
          this.status.textContent = `Progress: ${event.progress}${total}${event.message ? ` — ${visible(event.message)}` : ""}`;
        } else if (event.type === "result") {
          this.status.textContent = "";
          this.showResult(tool, args, event.call);
        } else if (event.type === "error") {
          throw new ApiError(502, { code: event.code, detail: event.detail });
        }
      }
    } catch (error) {
      if (controller.signal.aborted) {
        this.status.textContent = "Stopped: the task was cancelled on the server.";
      } else {
        this.status.textContent = "";
        this.showFailure(error);
      }
    } finally {
      stop.hidden = true;
      button.disabled = false;
    }
  }

  showFailure(error) {
    if (error.code === "invalid_arguments" && Array.isArray(error.details?.errors)) {
      const items = error.details.errors.map((e) => {
        // `/id/0` → the field `id`, marked beside its control.
        const top = decodeURIComponent(String(e.path ?? "").split("/")[1] ?? "").replace(/~1/g, "/").replace(/~0/g, "~");
        const field = this.fields.find((f) => f.name === top);
        if (field && !this.raw.checked) field.showError(visible(e.message));
        return el("li", {}, el("code", {}, visible(e.path || "(arguments)")), " ", visible(e.message));
      });
      this.showErrors("The arguments do not match the action's inputSchema; nothing was sent to the server:", items);
    } else if (error.code === "tool_disabled") {
      this.showErrors(`This action is turned off, so it cannot be called. Turn it on in the list above. (${error.message})`);
    } else if (error.code === "auth_required") {
      const d = error.details ?? {};
      const scope = Array.isArray(d.scopes) ? d.scopes.join(" ") : null;
      fill(this.errors, el("p", {}, `Not sent: ${visible(error.message)}.`), el("p", {}, connectButton(d.connector_id, d.state, scope)));
      this.errors.hidden = false;
    } else {
      this.showErrors(`The call failed: ${error.message}`);
    }
  }

  showResult(tool, args, outcome) {
    const result = outcome.result ?? {};
    const content = Array.isArray(result.content) ? result.content : [];
    const meta = [
      outcome.is_error
        ? el("span", { class: "badge status", dataset: { status: "fail" } }, "tool error")
        : el("span", { class: "badge status", dataset: { status: "pass" } }, "ok"),
      typeof outcome.latency_ms === "number" ? el("span", { class: "muted small" }, `${Math.round(outcome.latency_ms)} ms`) : null,
      typeof outcome.bytes === "number" ? el("span", { class: "muted small" }, `${outcome.bytes} bytes`) : null,
    ];
    fill(this.result,
      el("div", { class: "result-head" }, el("h3", {}, "Result of ", el("code", {}, visible(tool.name))), meta),
      outcome.is_error ? el("p", { class: "notice small" }, "The server answered with isError: true; the model would see this as a failed call.") : null,
      outcome.truncated ? el("p", { class: "notice small" }, "The result was larger than this server's limit and was cut down.") : null,
      el("h4", {}, "Content"),
      content.length === 0
        ? el("p", { class: "muted small" }, "No content items.")
        : el("div", { class: "content-items" },
            content.map((item) =>
              item?.type === "text" && typeof item.text === "string"
                ? el("pre", { class: "text-item", tabindex: "0" }, visible(item.text))
                : el("div", { class: "other-item" }, el("p", { class: "muted small" }, `${visible(item?.type ?? "item")} item`), jsonBlock(item)),
            )),
      "structuredContent" in result ? [el("h4", {}, "Structured content"), jsonBlock(result.structuredContent)] : null,
      jsonDetails("Raw JSON-RPC exchange (every message, in order)", outcome.exchange, { class: "json-details exchange", id: "playground-exchange" }),
      jsonDetails("Arguments sent", args),
    );
    this.result.hidden = false;
    this.showWidget(tool, args, outcome);
  }

  // A tool that links a widget: the widget, given this call's input and result. What
  // it calls is a call by hand of this app (a write only after the person confirms
  // it in the widget's box); it keeps no state and sends no message here.
  showWidget(tool, args, outcome) {
    if (!tool.widget || outcome.is_error) return;
    const app = document.getElementById("app")?.dataset.name || "this app";
    const call = { id: `by-hand-${Date.now()}`, name: tool.name, tool: tool.name, arguments: args, result: outcome.result, status: "completed", widget: tool.widget };
    const host = {
      src: `/widgets/apps/${this.base.split("/").pop()}/${encodeURIComponent(tool.name)}`,
      callTool: async (widget, name, callArgs) => {
        const target = this.tools.find((t) => t.name === name);
        if (target && target.classification !== "read" && !(await confirmWrite(widget, { tool: name, arguments: callArgs }))) {
          throw new RpcError(-32000, "the person denied this call");
        }
        try {
          const made = await api("POST", `${this.base}/tools/${encodeURIComponent(name)}/call`, { arguments: callArgs });
          return made.result;
        } catch (error) {
          throw new RpcError(-32000, error.message);
        }
      },
      readResource: async () => {
        throw new RpcError(-32601, "a widget reads no resources in the playground");
      },
      saveState: async () => {},
      sendMessage: async () => false,
    };
    this.result.append(el("h4", {}, "Widget"), mountWidget({ call, app, host }));
  }
}
