// A fake MCP Apps host for one view, in plain Node (no dependency): a tiny DOM shim that
// records every element created and refuses innerHTML, a host answering ui/initialize, sending
// the tool's input and result, and answering tools/call from canned replies.
// Usage: node fake_host.js view.html scenario.json; prints what the view showed and called.
"use strict";
const fs = require("fs");
const vm = require("vm");

const html = fs.readFileSync(process.argv[2], "utf8");
const scenario = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const created = [];
const violations = [];

class El {
  constructor(tag, type) {
    this.tagName = tag;
    this.nodeType = type || 1;
    this.children = [];
    this.attributes = {};
    this.listeners = {};
    this.value = "";
    this.data = "";
    const attrs = this.attributes;
    this.style = { setProperty(k, v) { attrs["style:" + k] = v; } };
  }
  appendChild(child) { this.children.push(child); return child; }
  setAttribute(k, v) {
    if (/^on/i.test(k)) violations.push("event attribute " + k);
    this.attributes[k] = String(v);
  }
  removeAttribute(k) { delete this.attributes[k]; }
  addEventListener(type, f) { (this.listeners[type] = this.listeners[type] || []).push(f); }
  fire(type, event) { for (const f of this.listeners[type] || []) f(event || { key: "Enter" }); }
  get textContent() { return this.nodeType === 3 ? this.data : this.children.map((c) => c.textContent).join(""); }
  set textContent(v) { this.children = []; if (String(v) !== "") this.children.push(text(v)); }
  set innerHTML(v) { violations.push("innerHTML"); }
  set outerHTML(v) { violations.push("outerHTML"); }
  insertAdjacentHTML() { violations.push("insertAdjacentHTML"); }
  all() { return [this].concat(...this.children.map((c) => c.all())); }
}
function text(v) { const t = new El("#text", 3); t.data = String(v); return t; }

const byId = {};
for (const m of html.matchAll(/<(\w+)[^>]*\bid="([\w-]+)"/g)) byId[m[2]] = new El(m[1]);
const root = new El("html");
root.scrollWidth = 390;
root.scrollHeight = 600;
const document = {
  documentElement: root,
  body: new El("body"),
  getElementById: (id) => byId[id] || null,
  createElement: (tag) => { created.push(tag.toLowerCase()); return new El(tag.toLowerCase()); },
  createElementNS: (ns, tag) => { created.push(tag); return new El(tag); },
  createTextNode: text,
  write() { violations.push("document.write"); },
};

const viewListeners = [];
const calls = [];
const parent = { postMessage: (message) => setImmediate(() => hostReceives(message)) };
const window = { parent, addEventListener: (type, f) => { if (type === "message") viewListeners.push(f); } };
const toView = (message) => setImmediate(() => {
  for (const f of viewListeners) f({ source: parent, data: Object.assign({ jsonrpc: "2.0" }, message) });
});

function hostReceives(m) {
  if (m.method === "ui/initialize") {
    toView({ id: m.id, result: { protocolVersion: "2026-01-26", hostInfo: { name: "fake", version: "1" },
      hostCapabilities: { serverTools: {} },
      hostContext: { theme: "dark", styles: { variables: { "--color-background-primary": "#101010" } } } } });
  } else if (m.method === "ui/notifications/initialized") {
    toView({ method: "ui/notifications/tool-input", params: { arguments: scenario.input || {} } });
    toView({ method: "ui/notifications/tool-result", params: scenario.result });
  } else if (m.method === "tools/call") {
    calls.push(m.params);
    const reply = (scenario.replies || {})[m.params.name];
    toView({ id: m.id, result: reply || { isError: true, content: [{ type: "text", text: "no reply" }] } });
  }
}

const settle = async () => { for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r)); };
const script = html.slice(html.indexOf("<script>") + 8, html.lastIndexOf("</script>"));
const context = vm.createContext({ window, document, console, Date, Map, Set, Promise, JSON, Math, Number, String, Object, Array, Error });

(async () => {
  vm.runInContext(script, context);
  await settle();
  for (const action of scenario.actions || []) {
    if (action === "next") byId.next.fire("click");
    if (action === "first-row") {
      const row = byId.rows.all().find((e) => e.tagName === "tr");
      if (row) row.fire("click");
    }
    await settle();
  }
  const shown = Object.values(byId).map((e) => e.textContent).join("\n");
  const svg = Object.values(byId).flatMap((e) => e.all()).filter((e) => e.tagName === "polyline").length;
  process.stdout.write(JSON.stringify({ shown, created: [...new Set(created)], calls, violations, svg,
    theme: root.attributes["data-theme"] || null, next_hidden: byId.next ? "hidden" in byId.next.attributes : null }));
})().catch((e) => { process.stdout.write(JSON.stringify({ error: String(e && e.stack) })); });
