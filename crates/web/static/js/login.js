import { api, onSubmit } from "./api.js";

onSubmit(document.getElementById("login-form"), async (data) => {
  await api("POST", "/api/v1/session", { email: data.get("email"), password: data.get("password") });
  const next = new URLSearchParams(window.location.search).get("next");
  window.location.assign(next && next.startsWith("/") && !next.startsWith("//") ? next : "/chat");
});
