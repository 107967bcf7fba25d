import { api, onSubmit } from "./api.js";

// Where to go after signing in: `?next=` when it names a page of this server, else
// the start page. `next` is resolved against this origin first, which undoes `/.`
// and `/..` and reads `\` as `/`; what comes out is followed only when it is on
// this origin and its path starts with exactly one `/`. `/..//host` resolves to the
// path `//host`, which a browser navigating to it reads as another server.
function destination() {
  const next = new URLSearchParams(window.location.search).get("next");
  if (!isLocalPath(next)) return "/";
  let url;
  try {
    url = new URL(next, window.location.origin);
  } catch {
    return "/";
  }
  const path = url.pathname + url.search + url.hash;
  return url.origin === window.location.origin && isLocalPath(path) ? path : "/";
}

function isLocalPath(path) {
  return typeof path === "string" && path.startsWith("/") && !path.startsWith("//") && !path.startsWith("/\\");
}

onSubmit(document.getElementById("login-form"), async (data) => {
  await api("POST", "/api/v1/session", { email: data.get("email"), password: data.get("password") });
  window.location.assign(destination());
});
