// Shared helpers of the dashboard pages. No framework, no third-party code.
"use strict";

window.A365 = (function () {
  /** Calls the API; JSON in and out. Throws an Error with the server's message. */
  async function api(method, path, body) {
    const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (method !== "GET") {
      init.headers["Content-Type"] = "application/json";
      if (body !== undefined) init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    if (response.status === 401 && path !== "/api/v1/session") {
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
      const message = data && data.message ? data.message : "Request failed (" + response.status + ")";
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

  return { api, el, time, copy, wireCopyButtons, showError };
})();
