// An OAuth app's page: this person's connection (connected, not yet, or to be
// renewed), Connect / Reconnect (a plain link: the server answers with a redirect
// to the authorization server) and Disconnect, and what the callback reported.
import { api } from "./api.js";
import { visible } from "./dom.js";

const STATES = {
  connected: "Connected.",
  needs_connect: "Not connected yet: connect to use this app's actions with your own account.",
  needs_reconnect: "Your connection expired or was revoked: reconnect to use this app again.",
};

export class OAuthConnection {
  constructor(base) {
    this.base = base;
    this.panel = document.getElementById("oauth-panel");
    if (!this.panel) return;
    this.state = document.getElementById("oauth-state");
    this.connect = document.getElementById("oauth-connect");
    this.disconnect = document.getElementById("oauth-disconnect");
    this.disconnect.addEventListener("click", () => this.leave());
    this.showCallback();
    this.load().catch((error) => {
      this.state.textContent = `Could not read your connection: ${error.message}`;
    });
  }

  // What the callback put in the address (?oauth=connected or ?oauth_error=…&oauth_message=…),
  // shown once, then taken out of the address.
  showCallback() {
    const params = new URLSearchParams(window.location.search);
    const result = document.getElementById("oauth-result");
    if (params.get("oauth") === "connected") {
      result.textContent = "You are connected.";
      result.dataset.ok = "true";
    } else if (params.has("oauth_error")) {
      result.textContent = `Connecting failed: ${visible(params.get("oauth_message") ?? params.get("oauth_error"))}`;
      result.dataset.ok = "false";
    } else {
      return;
    }
    result.hidden = false;
    window.history.replaceState(null, "", window.location.pathname);
  }

  async load() {
    const connection = await api("GET", `${this.base}/oauth`);
    const expires = connection.expires_at ? ` The token is valid until ${new Date(connection.expires_at).toLocaleString()}${connection.refreshable ? " and is renewed before then" : "; you will need to connect again then"}.` : "";
    this.state.textContent = (STATES[connection.state] ?? visible(connection.state)) + (connection.state === "connected" ? expires : "");
    this.state.dataset.state = connection.state;
    this.connect.hidden = connection.state === "connected";
    this.connect.textContent = connection.state === "needs_reconnect" ? "Reconnect" : "Connect";
    this.connect.setAttribute("href", connection.connect_url);
    this.disconnect.hidden = connection.state === "needs_connect";
  }

  async leave() {
    this.disconnect.disabled = true;
    try {
      await api("DELETE", `${this.base}/oauth`);
      await this.load();
    } catch (error) {
      this.state.textContent = `Could not disconnect: ${error.message}`;
    } finally {
      this.disconnect.disabled = false;
    }
  }
}
