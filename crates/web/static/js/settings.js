import { api, onClick, onSubmit } from "./api.js";
import { fill, stepItems, visible } from "./dom.js";

const toggle = document.getElementById("developer-mode");
toggle?.addEventListener("change", async () => {
  const status = document.getElementById("developer-mode-status");
  const alert = document.getElementById("developer-mode-error");
  alert.textContent = "";
  toggle.disabled = true;
  try {
    const me = await api("PUT", "/api/v1/me/developer-mode", { enabled: toggle.checked });
    toggle.checked = me.developer_mode.enabled;
    status.textContent = me.developer_mode.active ? "On" : "Off";
    status.dataset.state = me.developer_mode.active ? "on" : "off";
    // Once off, a user the policy does not include cannot turn it back on.
    toggle.dataset.allowed = String(me.developer_mode.allowed);
    // For members, developer mode decides which apps they see and whether they may
    // create one: show the page as it now is.
    if (toggle.dataset.reload === "true") window.location.reload();
  } catch (error) {
    toggle.checked = !toggle.checked;
    alert.textContent = error.message;
  } finally {
    toggle.disabled = toggle.dataset.allowed === "false" && !toggle.checked;
  }
});

// Create app: the form opens from the button; on failure the diagnosis is listed
// step by step; on success the app's page opens, with the warnings to review.
const createSection = document.getElementById("create-app");
const createForm = document.getElementById("create-app-form");
const openCreate = document.getElementById("create-app-open");

function showCreate(open) {
  createSection.hidden = !open;
  openCreate.setAttribute("aria-expanded", String(open));
  if (open) createForm.elements.name.focus();
}
openCreate?.addEventListener("click", () => showCreate(createSection.hidden));
document.getElementById("create-app-cancel")?.addEventListener("click", () => showCreate(false));
if (createSection && window.location.hash === "#create") showCreate(true);

function showTarget() {
  const target = createForm.elements.target.value;
  for (const box of createForm.querySelectorAll(".target")) box.hidden = box.dataset.target !== target;
}
for (const radio of createForm?.querySelectorAll("input[name=target]") ?? []) radio.addEventListener("change", showTarget);

// OAuth's settings show only when OAuth (or mixed auth) is chosen.
createForm?.elements.auth.addEventListener("change", () => {
  document.getElementById("auth-oauth").hidden = createForm.elements.auth.value === "none";
});

// One argument per line; a single line is split on spaces. No quoting, no shell.
function argv(text) {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);
  return lines.length === 1 ? lines[0].split(/\s+/) : lines;
}

createForm?.addEventListener("submit", async (event) => {
  event.preventDefault();
  const alert = createForm.querySelector("[role=alert]");
  const diagnosis = document.getElementById("create-diagnosis");
  const progress = document.getElementById("create-app-progress");
  const button = createForm.querySelector("button[type=submit]");
  const data = new FormData(createForm);
  alert.textContent = "";
  diagnosis.hidden = true;
  const body = {
    name: data.get("name"),
    description: data.get("description"),
    auth: { mode: data.get("auth") },
  };
  if (body.auth.mode === "oauth" || body.auth.mode === "mixed") {
    for (const [field, name] of [["scopes", "oauth_scopes"], ["client_id", "oauth_client_id"], ["client_secret", "oauth_client_secret"]]) {
      const value = String(data.get(name) ?? "").trim();
      if (value) body.auth[field] = value;
    }
    if (data.get("oauth_legacy_endpoints") === "on") body.auth.legacy_endpoints = true;
  }
  if (data.get("target") === "command") {
    body.command = { argv: argv(data.get("command")) };
    if (body.command.argv.length === 0) {
      alert.textContent = "Enter the command to run: the program, then its arguments.";
      return;
    }
  } else {
    body.url = data.get("url").trim();
    body.transport = data.get("transport");
    if (!body.url) {
      alert.textContent = "Enter the server's URL, e.g. https://example.com/mcp.";
      return;
    }
  }
  button.disabled = true;
  progress.hidden = false;
  try {
    const created = await api("POST", "/api/v1/connectors", body);
    const id = created.connector.id;
    sessionStorage.setItem(`switchboard:created:${id}`, JSON.stringify(created.warnings));
    window.location.assign(`/settings/apps/${id}`);
  } catch (error) {
    const steps = error.details?.steps;
    if (error.code === "connection_failed" && Array.isArray(steps)) {
      // The steps say it for people; the client's own words stay one click away.
      fill(diagnosis.querySelector("ol"), ...stepItems(steps));
      diagnosis.querySelector("pre").textContent = visible(error.message);
      diagnosis.hidden = false;
    } else {
      alert.textContent = error.message;
    }
  } finally {
    button.disabled = false;
    progress.hidden = true;
  }
});

onSubmit(document.getElementById("token-form"), async (data) => {
  const days = data.get("expires_in_days");
  const created = await api("POST", "/api/v1/tokens", {
    name: data.get("name"),
    expires_in_days: days ? Number(days) : null,
  });
  const box = document.getElementById("new-token");
  box.querySelector("code").textContent = created.token;
  box.hidden = false;
  document.getElementById("no-tokens")?.remove();
  document.getElementById("token-form").reset();
});

onClick({
  "copy-token": async (button) => {
    const code = document.querySelector("#new-token code");
    if (navigator.clipboard) {
      await navigator.clipboard.writeText(code.textContent);
      button.textContent = "Copied";
    } else {
      // No clipboard API outside secure contexts: select the token for the user to copy.
      window.getSelection().selectAllChildren(code);
    }
  },
  "revoke-token": async (button) => {
    if (!window.confirm(`Revoke the token "${button.dataset.name}"? Clients using it stop working.`)) return;
    await api("DELETE", `/api/v1/tokens/${button.dataset.id}`);
    window.location.reload();
  },
  "reload": async () => window.location.reload(),
});

// Account: one's own name and password, and this browser's theme.
onSubmit(document.getElementById("name-form"), async (data) => {
  const me = await api("PATCH", "/api/v1/me", { name: String(data.get("name") ?? "") });
  document.getElementById("account-name").value = me.name;
  for (const shown of document.querySelectorAll(".who-name")) shown.textContent = me.name;
  document.getElementById("name-status").textContent = "Saved.";
});

const passwordForm = document.getElementById("password-form");
onSubmit(passwordForm, async (data) => {
  document.getElementById("password-status").textContent = "";
  await api("POST", "/api/v1/me/password", { current: String(data.get("current") ?? ""), new: String(data.get("new") ?? "") });
  passwordForm.reset();
  document.getElementById("password-status").textContent =
    "Password changed. Your other sessions have been signed out; this one stays.";
});

const THEME_KEY = "switchboard-theme";
const themeChoice = document.getElementById("theme-choice");
if (themeChoice) {
  let saved = "system";
  try {
    saved = window.localStorage.getItem(THEME_KEY) || "system";
  } catch {
    // Storage refused: the system's theme applies.
  }
  const current = themeChoice.querySelector(`input[value="${saved === "light" || saved === "dark" ? saved : "system"}"]`);
  if (current) current.checked = true;
  themeChoice.addEventListener("change", (event) => {
    const theme = event.target.value;
    try {
      if (theme === "system") window.localStorage.removeItem(THEME_KEY);
      else window.localStorage.setItem(THEME_KEY, theme);
    } catch {
      // Not kept; it still applies to this page.
    }
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
    else delete document.documentElement.dataset.theme;
  });
}
