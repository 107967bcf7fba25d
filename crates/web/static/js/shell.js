import { api } from "./api.js";

const signOut = document.getElementById("sign-out");
signOut?.addEventListener("click", async () => {
  signOut.disabled = true;
  try {
    await api("DELETE", "/api/v1/session");
  } catch (error) {
    // Already signed out (401) is fine; anything else is worth telling.
    if (error.status !== 401) {
      signOut.disabled = false;
      window.alert(`Could not sign out: ${error.message}`);
      return;
    }
  }
  window.location.assign("/login");
});
