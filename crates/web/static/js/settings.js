import { api, onClick, onSubmit } from "./api.js";

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
  } catch (error) {
    toggle.checked = !toggle.checked;
    alert.textContent = error.message;
  } finally {
    toggle.disabled = toggle.dataset.allowed === "false" && !toggle.checked;
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
