"use strict";
// The host side of a view (MCP Apps, SEP-1865): JSON-RPC 2.0 over postMessage with the host.
// Tenant text is only ever inserted as text (createTextNode / textContent), never as markup.

/** Connects to the host; `allowed` is every tool this view may call (all read-only). */
function connectHost(allowed, on) {
  const readable = Object.freeze(allowed.slice());
  const pending = new Map();
  let nextId = 1;
  const send = (message) => window.parent.postMessage(Object.assign({ jsonrpc: "2.0" }, message), "*");
  const request = (method, params) => new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    send({ id, method, params });
  });
  function applyContext(context) {
    if (!context || typeof context !== "object") return;
    const root = document.documentElement;
    if (context.theme === "light" || context.theme === "dark") {
      root.setAttribute("data-theme", context.theme);
      root.style.setProperty("color-scheme", context.theme);
    }
    const variables = context.styles && context.styles.variables;
    if (variables && typeof variables === "object") {
      for (const key of Object.keys(variables)) {
        if (/^--[a-z0-9-]+$/.test(key) && typeof variables[key] === "string") {
          root.style.setProperty(key, variables[key]);
        }
      }
    }
  }
  function watchSize() {
    const report = () => send({ method: "ui/notifications/size-changed", params: {
      width: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight } });
    if (typeof ResizeObserver === "function") new ResizeObserver(report).observe(document.body);
    report();
  }
  window.addEventListener("message", (event) => {
    if (event.source !== window.parent) return;
    const m = event.data;
    if (!m || typeof m !== "object" || m.jsonrpc !== "2.0") return;
    if (m.method === undefined) {
      const waiting = pending.get(m.id);
      if (!waiting) return;
      pending.delete(m.id);
      if (m.error) waiting.reject(new Error(String(m.error.message || "the host refused")));
      else waiting.resolve(m.result);
      return;
    }
    switch (m.method) {
      case "ui/notifications/tool-input":
        if (on.input) on.input((m.params && m.params.arguments) || {});
        break;
      case "ui/notifications/tool-result":
        if (on.result) on.result(m.params || {});
        break;
      case "ui/notifications/host-context-changed":
        applyContext(m.params);
        break;
      case "ui/resource-teardown":
      case "ping":
        if (m.id !== undefined) send({ id: m.id, result: {} });
        break;
      default:
        if (m.id !== undefined) send({ id: m.id, error: { code: -32601, message: "Method not found" } });
    }
  });
  request("ui/initialize", {
    appInfo: { name: "aether365", version: "1" },
    appCapabilities: { availableDisplayModes: ["inline"] },
    protocolVersion: "2026-01-26",
  }).then((result) => {
    applyContext(result && result.hostContext);
    send({ method: "ui/notifications/initialized", params: {} });
    watchSize();
  }, () => {});
  return {
    /** Calls a reading tool through the host; any tool outside the allow-list is refused here. */
    callTool(name, args) {
      if (readable.indexOf(name) < 0) return Promise.reject(new Error("this view may not call " + name));
      return request("tools/call", { name, arguments: args || {} }).then((result) => {
        if (!result || result.isError) throw new Error(textOf(result) || name + " failed");
        return result.structuredContent || {};
      });
    },
  };
}

/** The text content of a tool result. */
function textOf(result) {
  const blocks = (result && Array.isArray(result.content)) ? result.content : [];
  return blocks.filter((b) => b && b.type === "text").map((b) => String(b.text)).join("\n");
}

/** An element: attributes set as strings, children appended as nodes or as text. */
function h(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
  append(node, children);
  return node;
}

/** An SVG element. */
function s(tag, attributes, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `node`. */
function show(node, ...children) {
  node.textContent = "";
  append(node, children);
}

/** A score to one decimal, or a dash. */
function score(value) {
  return typeof value === "number" ? value.toFixed(1) : "–";
}

/** A signed change, with its class. */
function change(value) {
  if (typeof value !== "number") return h("span", { class: "muted" }, "no previous scan");
  const cls = value > 0 ? "up" : value < 0 ? "down" : "muted";
  return h("span", { class: cls }, (value > 0 ? "+" : "") + value.toFixed(1));
}

/** How long ago an RFC 3339 time was, in words. */
function age(time) {
  const then = Date.parse(time);
  if (Number.isNaN(then)) return "unknown";
  const hours = Math.round((Date.now() - then) / 3600000);
  if (hours < 1) return "less than an hour ago";
  if (hours === 1) return "an hour ago";
  if (hours < 48) return hours + " hours ago";
  return Math.round(hours / 24) + " days ago";
}

const SEVERITIES = ["critical", "high", "medium", "low", "info"];

/** Failing counts by severity, as small cards. */
function severityCards(counts) {
  return h("div", { class: "cards" }, SEVERITIES.map((sev) =>
    h("div", { class: "card" }, h("div", { class: "muted" }, sev),
      h("div", { class: "big sev-" + sev }, String((counts && counts[sev]) || 0)))));
}
