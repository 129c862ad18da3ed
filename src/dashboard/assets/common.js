// Shared helpers of the dashboard pages: API calls, DOM building, formatting, navigation.
// No framework.
"use strict";

window.A365 = (function () {
  /** Calls the API; JSON in and out (`raw`: a body already encoded as JSON text). Throws an
   *  Error with the server's problem detail. */
  async function api(method, path, body, raw) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      if (raw !== undefined) init.body = raw;
      else if (body !== undefined) init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    // Signed out: to the sign-in, unless already there (its probe of a waiting OAuth
    // authorization must keep the page's `next`).
    if (response.status === 401 && path !== "/api/v1/session" && window.location.pathname !== "/login") {
      window.location.assign("/login");
      throw new Error("Your session has ended; sign in again.");
    }
    if (response.status === 204) return null;
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      const message = data && (data.detail || data.message) ? (data.detail || data.message) : "Request failed (" + response.status + ")";
      const error = new Error(message);
      error.status = response.status;
      throw error;
    }
    return data;
  }

  /** An element with attributes and children (strings become text, never HTML). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      if (key === "class") node.className = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

  /** An RFC 3339 time as a <time> element, or `empty` when null. */
  function time(value, empty) {
    if (!value) return el("span", { class: "muted" }, empty);
    const date = new Date(value);
    return el("time", { datetime: value, title: date.toISOString() }, dateFormat.format(date));
  }

  /** Copies text to the clipboard; the button says so for a moment. */
  async function copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      const area = el("textarea", { class: "visually-hidden" }, text);
      document.body.append(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    if (button) {
      const label = button.textContent;
      button.textContent = "Copied";
      button.disabled = true;
      setTimeout(() => {
        button.textContent = label;
        button.disabled = false;
      }, 1500);
    }
  }

  /** Wires every `[data-copy-from=id]` button to copy that element's text or value. */
  function wireCopyButtons(root) {
    root.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-copy-from]");
      if (!button) return;
      const source = document.getElementById(button.dataset.copyFrom);
      if (source) copy("value" in source && source.tagName === "INPUT" ? source.value : source.textContent, button);
    });
  }

  /** Shows `message` in an alert element, or hides it when empty. */
  function showError(node, message) {
    node.textContent = message || "";
    node.hidden = !message;
  }

  /** How long ago an RFC 3339 time was, in words ("3 days ago"). */
  function age(value) {
    const seconds = Math.max(0, (Date.now() - new Date(value).getTime()) / 1000);
    const units = [["year", 31536000], ["month", 2592000], ["day", 86400], ["hour", 3600], ["minute", 60]];
    for (const [unit, size] of units) {
      const n = Math.floor(seconds / size);
      if (n >= 1) return n + " " + unit + (n === 1 ? "" : "s") + " ago";
    }
    return "just now";
  }

  const PAGES = [
    ["/overview", "Overview"],
    ["/findings", "Findings"],
    ["/scans", "Scans"],
    ["/tenants", "Tenants"],
    ["/reports", "Reports"],
    ["/people", "People"],
    ["/alerts", "Alerts"],
    ["/settings/mcp", "Settings › MCP"],
  ];

  /** Fills the site navigation (`#site-nav`), marking the current section. */
  function renderNav() {
    const nav = document.getElementById("site-nav");
    if (!nav) return;
    const path = window.location.pathname;
    nav.replaceChildren(el("ul", {}, ...PAGES.map(([href, label]) => {
      const current = path === href || path.startsWith(href + "/");
      return el("li", {}, el("a", { href, "aria-current": current ? "page" : null }, label));
    })));
  }

  document.addEventListener("DOMContentLoaded", renderNav);

  return { api, el, time, age, copy, wireCopyButtons, showError };
})();
