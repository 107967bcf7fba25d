import { api } from "./api.js";

const signOut = document.getElementById("sign-out");
signOut?.addEventListener("click", async () => {
  signOut.disabled = true;
  try {
    await api("DELETE", "/api/v1/session");
  } finally {
    window.location.assign("/login");
  }
});
