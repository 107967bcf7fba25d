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

// On a phone a table becomes one card per row (app.css): each cell is labelled
// with its column's heading, for tables on the page and those added later.
function labelCells(root) {
  for (const table of root.querySelectorAll?.(".table-wrap table") ?? []) {
    const heads = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (!heads.length) continue;
    for (const row of table.querySelectorAll("tbody tr")) {
      [...row.children].forEach((cell, i) => {
        if (cell.dataset.label === undefined && heads[i] !== undefined) cell.dataset.label = heads[i];
      });
    }
  }
}
const main = document.getElementById("main");
if (main) {
  labelCells(main);
  new MutationObserver(() => labelCells(main)).observe(main, { childList: true, subtree: true });
}
