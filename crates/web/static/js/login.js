import { api, onSubmit } from "./api.js";

// Where to go after signing in: `?next=` when it stays on this server, else chat.
// Resolving it as a URL catches what a prefix check misses, like `/\host`.
function destination() {
  const next = new URLSearchParams(window.location.search).get("next");
  if (!next || !next.startsWith("/")) return "/chat";
  try {
    const url = new URL(next, window.location.origin);
    return url.origin === window.location.origin ? url.pathname + url.search + url.hash : "/chat";
  } catch {
    return "/chat";
  }
}

onSubmit(document.getElementById("login-form"), async (data) => {
  await api("POST", "/api/v1/session", { email: data.get("email"), password: data.get("password") });
  window.location.assign(destination());
});
