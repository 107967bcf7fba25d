// window.openai for Apps SDK components, over the MCP Apps bridge.
//
// Switchboard puts this script first in an Apps SDK component's document (after a
// script that sets window.__switchboardWidget to the call's input, output and
// saved state), so the component finds window.openai as it would in ChatGPT.
// Every method becomes a `ui/*` JSON-RPC request to the host page, which answers
// through Switchboard's API: a tool call is checked on the server and a write waits
// for the person's approval, whatever the component does.
(function () {
  "use strict";
  var boot = window.__switchboardWidget || {};
  var parentWindow = window.parent;
  var nextId = 1;
  var pending = {};

  function post(message) {
    message.jsonrpc = "2.0";
    parentWindow.postMessage(message, "*");
  }

  function request(method, params) {
    return new Promise(function (resolve, reject) {
      var id = "openai-" + nextId++;
      pending[id] = { resolve: resolve, reject: reject };
      post({ id: id, method: method, params: params || {} });
    });
  }

  var openai = {
    toolInput: boot.toolInput || {},
    toolOutput: boot.toolOutput === undefined ? null : boot.toolOutput,
    toolResponseMetadata: boot.toolResponseMetadata === undefined ? null : boot.toolResponseMetadata,
    widgetState: boot.widgetState === undefined ? null : boot.widgetState,
    theme: boot.theme || "light",
    locale: boot.locale || "en",
    maxHeight: 800,
    displayMode: "inline",
    userAgent: { device: { type: "desktop" }, capabilities: { hover: true, touch: false } },
    safeArea: { insets: { top: 0, bottom: 0, left: 0, right: 0 } },
    view: { mode: "inline" },
    callTool: function (name, args) {
      return request("tools/call", { name: name, arguments: args || {} });
    },
    sendFollowUpMessage: function (options) {
      var prompt = options && typeof options.prompt === "string" ? options.prompt : "";
      return request("ui/message", { role: "user", content: [{ type: "text", text: prompt }] });
    },
    openExternal: function (options) {
      return request("ui/open-link", { url: options && options.href });
    },
    requestDisplayMode: function (options) {
      return request("ui/request-display-mode", { mode: options && options.mode }).then(function (r) {
        setGlobals({ displayMode: r.mode, view: { mode: r.mode } });
        return r;
      });
    },
    setWidgetState: function (state) {
      setGlobals({ widgetState: state });
      return request("switchboard/widget-state", { state: state });
    },
    notifyIntrinsicHeight: function (height) {
      post({ method: "ui/notifications/size-changed", params: { height: height } });
    },
  };

  function setGlobals(globals) {
    for (var key in globals) openai[key] = globals[key];
    try {
      window.dispatchEvent(new CustomEvent("openai:set_globals", { detail: { globals: globals } }));
    } catch (e) {
      // An old engine without CustomEvent: the properties are set all the same.
    }
  }

  window.openai = openai;

  window.addEventListener("message", function (event) {
    if (event.source !== parentWindow) return;
    var m = event.data;
    if (!m || typeof m !== "object" || m.jsonrpc !== "2.0") return;
    if (m.method === undefined && m.id !== undefined && pending[m.id]) {
      var p = pending[m.id];
      delete pending[m.id];
      if (m.error) p.reject(new Error(m.error.message || "the host refused"));
      else p.resolve(m.result);
      return;
    }
    if (m.method === "ui/notifications/tool-input" && m.params) {
      setGlobals({ toolInput: m.params.arguments || {} });
    } else if (m.method === "ui/notifications/tool-result" && m.params) {
      setGlobals({
        toolOutput: m.params.structuredContent === undefined ? null : m.params.structuredContent,
        toolResponseMetadata: m.params._meta === undefined ? null : m.params._meta,
      });
    } else if (m.method === "ui/notifications/host-context-changed" && m.params) {
      var changed = {};
      if (m.params.theme) changed.theme = m.params.theme;
      if (m.params.displayMode) changed.displayMode = m.params.displayMode;
      setGlobals(changed);
    } else if (m.method === "ui/resource-teardown" && m.id !== undefined) {
      post({ id: m.id, result: {} });
    }
  });

  request("ui/initialize", {
    appInfo: { name: "apps-sdk-component", version: "1" },
    appCapabilities: { availableDisplayModes: ["inline", "fullscreen"] },
    protocolVersion: "2026-01-26",
  }).then(function (result) {
    var context = (result && result.hostContext) || {};
    var globals = {};
    if (context.theme) globals.theme = context.theme;
    if (context.locale) globals.locale = context.locale;
    if (context.displayMode) globals.displayMode = context.displayMode;
    if (context.containerDimensions && context.containerDimensions.maxHeight) {
      globals.maxHeight = context.containerDimensions.maxHeight;
    }
    setGlobals(globals);
    post({ method: "ui/notifications/initialized", params: {} });
  });

  // The component's height, as it changes, so the host sizes its frame.
  function reportHeight() {
    var body = document.body;
    if (!body) return;
    openai.notifyIntrinsicHeight(Math.ceil(document.documentElement.scrollHeight));
  }
  if (typeof ResizeObserver === "function") {
    var observer = new ResizeObserver(reportHeight);
    document.addEventListener("DOMContentLoaded", function () {
      observer.observe(document.documentElement);
      reportHeight();
    });
  }
})();
