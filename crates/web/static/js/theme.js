// The theme chosen in Settings → Account (system, light or dark), kept in this
// browser's localStorage. A classic script loaded in <head>, before the page is
// drawn, so a chosen theme shows without a flash of the other one.
(function () {
  try {
    const theme = window.localStorage.getItem("switchboard-theme");
    if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  } catch {
    // Storage refused (private mode, policy): the system's theme applies.
  }
})();
