import { api, onClick, onSubmit } from "./api.js";

onSubmit(document.getElementById("add-user-form"), async (data) => {
  const password = data.get("password");
  await api("POST", "/api/v1/users", {
    email: data.get("email"),
    name: data.get("name"),
    role: data.get("role"),
    password: password ? password : null,
  });
  window.location.reload();
});

const resetForm = document.getElementById("reset-password-form");
onSubmit(resetForm, async (data) => {
  const done = document.getElementById("reset-password-done");
  done.textContent = "";
  const user = await api("PATCH", `/api/v1/users/${data.get("user")}`, {
    password: data.get("password"),
    revoke_tokens: data.get("revoke_tokens") === "on",
  });
  resetForm.querySelector("input[name=password]").value = "";
  const revoked = data.get("revoke_tokens") === "on" ? " and their API tokens revoked" : "";
  done.textContent = `Password of ${user.email} reset: their sessions ended${revoked}.`;
});

onSubmit(document.getElementById("create-group-form"), async (data) => {
  await api("POST", "/api/v1/groups", { name: data.get("name") });
  window.location.reload();
});

for (const form of document.querySelectorAll("form.add-member-form")) {
  onSubmit(form, async (data) => {
    await api("POST", `/api/v1/groups/${form.dataset.group}/members`, { email: data.get("email") });
    window.location.reload();
  });
}

onSubmit(document.getElementById("policy-form"), async (data) => {
  await api("PUT", "/api/v1/workspace/settings", {
    developer_mode: { policy: data.get("policy"), groups: data.getAll("groups") },
  });
  window.location.reload();
});

// Network policy: each switch saves the three at once, as the API takes them.
const networkSwitches = [...document.querySelectorAll("input.network-switch")];
function showNetwork(network) {
  for (const input of networkSwitches) {
    const on = Boolean(network[input.name]);
    input.checked = on;
    const status = document.querySelector(`[data-status="${input.name}"]`);
    status.textContent = on ? "Allowed" : "Refused";
    status.dataset.state = on ? "on" : "off";
    const caution = document.querySelector(`[data-caution="${input.name}"]`);
    if (caution) caution.hidden = !on;
  }
}
for (const input of networkSwitches) {
  input.addEventListener("change", async () => {
    const alert = document.getElementById("network-error");
    alert.textContent = "";
    const network = Object.fromEntries(networkSwitches.map((s) => [s.name, s.checked]));
    for (const s of networkSwitches) s.disabled = true;
    try {
      const settings = await api("PUT", "/api/v1/workspace/settings", { network });
      showNetwork(settings.network);
    } catch (error) {
      input.checked = !input.checked;
      alert.textContent = error.message;
    } finally {
      for (const s of networkSwitches) s.disabled = false;
    }
  });
}

for (const select of document.querySelectorAll("select.role-select")) {
  select.addEventListener("change", async () => {
    const alert = document.getElementById("page-error");
    alert.textContent = "";
    try {
      await api("PATCH", `/api/v1/users/${select.dataset.id}`, { role: select.value });
      window.location.reload();
    } catch (error) {
      select.value = select.dataset.role;
      alert.textContent = error.message;
    }
  });
}

onClick({
  "remove-user": async (button) => {
    if (!window.confirm(`Remove ${button.dataset.email}? Their sessions and tokens end.`)) return;
    await api("DELETE", `/api/v1/users/${button.dataset.id}`);
    window.location.reload();
  },
  "delete-group": async (button) => {
    if (!window.confirm(`Delete the group "${button.dataset.name}"?`)) return;
    await api("DELETE", `/api/v1/groups/${button.dataset.id}`);
    window.location.reload();
  },
  "remove-member": async (button) => {
    await api("DELETE", `/api/v1/groups/${button.dataset.group}/members/${button.dataset.user}`);
    window.location.reload();
  },
});
