// A small client for Switchboard's JSON API: JSON in and out, the page's CSRF
// token on every state-changing request, and problem+json errors as exceptions.

const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `request failed with status ${status}`);
    this.status = status;
    this.code = problem?.code ?? "unknown";
    // Structured details some codes carry: `connection_failed` the diagnosis
    // steps, `invalid_arguments` the schema errors.
    this.details = problem?.details ?? null;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = csrf();
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: a proxy's error page, say. Report the status rather than a parse error.
    throw new ApiError(response.status, { detail: `the server answered ${response.status} ${response.statusText}` });
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// Run `action` when `form` is submitted; show its error in the form's [role=alert].
export function onSubmit(form, action) {
  if (!form) return;
  const alert = form.querySelector("[role=alert]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (alert) alert.textContent = "";
    if (button) button.disabled = true;
    try {
      await action(new FormData(form));
    } catch (error) {
      if (alert) alert.textContent = error.message;
      else window.alert(error.message);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

// Buttons marked data-action="name" call handlers[name](button) and show errors in #page-error.
export function onClick(handlers) {
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-action]");
    if (!button || !handlers[button.dataset.action]) return;
    const alert = document.getElementById("page-error");
    if (alert) alert.textContent = "";
    button.disabled = true;
    try {
      await handlers[button.dataset.action](button);
    } catch (error) {
      if (alert) alert.textContent = error.message;
      else window.alert(error.message);
    } finally {
      button.disabled = false;
    }
  });
}
