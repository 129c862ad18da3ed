// The MCP Apps views in a real host: an MCP client (@modelcontextprotocol/client, in Node)
// connected to the running server, and a host page (tests/browser/apps-host/) that renders each
// tool's `ui://` view in a sandboxed frame through @modelcontextprotocol/ext-apps's AppBridge, in
// Debian's Chromium driven by Playwright. A tools/call from a view goes view → AppBridge → host
// page → this test's MCP client → server. Run by scripts/test-browser, which passes BASE_URL,
// CHROMIUM, SCREENSHOTS, DEMO_TOKEN (an MCP token of the Contoso demo), HOSTILE_TOKEN (an MCP token
// of an organisation whose only tenant, scanned twice, is named HOSTILE_NAME: markup).
// Screenshots of every view at 1366 and 390 px: SCREENSHOTS/apps-<view>-{desktop,narrow}.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { extname, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run scripts/test-browser`);
  return value;
};
const BASE = env("BASE_URL");
const SHOTS = env("SCREENSHOTS");
mkdirSync(SHOTS, { recursive: true });

/** The name of the hostile organisation's tenant: markup that would set window.__xss and open a dialog. */
const HOSTILE_NAME = env("HOSTILE_NAME");
assert.match(HOSTILE_NAME, /<script>.*window\.__xss.*<\/script>.*<img [^>]*onerror=/);
const UI_EXTENSION = "io.modelcontextprotocol/ui";
const MIME_TYPE = "text/html;profile=mcp-app";
const WIDTHS = { desktop: { width: 1366, height: 900 }, narrow: { width: 390, height: 844 } };

/** The host page's origin: answered by the test itself (page.route), never by a network. */
const HOST_ORIGIN = "http://apps-host.test";
const HERE = fileURLToPath(new URL(".", import.meta.url));
const TYPES = { ".html": "text/html", ".mjs": "text/javascript", ".js": "text/javascript", ".css": "text/css", ".json": "application/json" };

let browser;

before(async () => {
  browser = await chromium.launch({
    executablePath: env("CHROMIUM"),
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  await browser?.close();
});

/** An MCP client of the server that declares the MCP Apps extension. */
async function mcpClient(token) {
  const client = new Client({ name: "aether365-apps-test-host", version: "1" }, {
    capabilities: { extensions: { [UI_EXTENSION]: { mimeTypes: [MIME_TYPE] } } },
  });
  await client.connect(new StreamableHTTPClientTransport(new URL(BASE + "/mcp"), {
    requestInit: { headers: { Authorization: "Bearer " + token } },
  }));
  const { tools } = await client.listTools();
  return { client, tools: new Map(tools.map((t) => [t.name, t])) };
}

/** The file of the host page or of its modules for a URL path, inside tests/browser only. */
function hostFile(pathname) {
  const relative = pathname.startsWith("/node_modules/") ? pathname.slice(1) : "apps-host" + pathname;
  const file = normalize(HERE + decodeURIComponent(relative));
  if (!file.startsWith(HERE) || file.includes(sep + ".." + sep)) return null;
  return file;
}

/** A browser page holding the host, relaying the views' tool calls to `mcp`, with its problems collected. */
async function openHost(mcp, viewport = WIDTHS.desktop) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems = [];
  const dialogs = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("exception: " + e.message));
  page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  await page.route(HOST_ORIGIN + "/**", async (route) => {
    const url = new URL(route.request().url());
    const file = hostFile(url.pathname === "/" ? "/index.html" : url.pathname);
    let body = null;
    try { body = file && readFileSync(file); } catch { body = null; }
    if (!body) return route.fulfill({ status: 404, body: "not found" });
    return route.fulfill({ status: 200, body, contentType: TYPES[extname(file)] || "application/octet-stream" });
  });
  // Anything else the page or a view would fetch is refused: the views fetch nothing.
  await page.route((url) => !url.href.startsWith(HOST_ORIGIN + "/"), (route) => {
    problems.push("request: " + route.request().url());
    return route.abort();
  });
  await page.exposeFunction("relayToolCall", (name, args) => mcp.client.callTool({ name, arguments: args }));
  await page.goto(HOST_ORIGIN + "/");
  await page.waitForFunction(() => window.hostReady === true);
  return { context, page, problems, dialogs };
}

/** Calls `name` with `args` as an assistant would, and renders its view in the host with the result. */
async function render(mcp, host, name, args, theme = "light") {
  const tool = mcp.tools.get(name);
  assert.ok(tool, name + " is listed");
  const uri = tool._meta?.ui?.resourceUri;
  assert.match(uri ?? "", /^ui:\/\/aether365\//, name + " declares its view");
  const { contents } = await mcp.client.readResource({ uri });
  const result = await mcp.client.callTool({ name, arguments: args });
  assert.equal(result.isError, false, name + ": " + JSON.stringify(result.content));
  await host.page.evaluate((p) => window.mountView(p), { tool, resource: contents[0], args, result, theme });
  // The frame of the iframe mounted now: the previous view's frame may not be detached yet.
  const frame = await (await host.page.waitForSelector("iframe")).contentFrame();
  assert.ok(frame, "the view's frame");
  return { frame, view: host.page.frameLocator("iframe"), result: result.structuredContent };
}

/** The tool calls the views made through the host so far. */
const viewCalls = (host) => host.page.evaluate(() => window.viewCalls);

/** Waits until the frame has its view's height (the view reports it with size-changed). */
async function settled(host, frame) {
  await host.page.waitForFunction(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));
  const handle = await host.page.$("iframe");
  for (let i = 0; i < 50; i++) {
    const wanted = await frame.evaluate(() => document.documentElement.scrollHeight);
    const box = await handle.boundingBox();
    if (box && Math.abs(box.height - (wanted + 4)) <= 2) return;
    await host.page.waitForTimeout(50);
  }
}

/** Screenshots of the host with the view at both widths; at 390 px nothing may overflow sideways. */
async function shoot(host, frame, name) {
  for (const [label, size] of Object.entries(WIDTHS)) {
    await host.page.setViewportSize(size);
    await settled(host, frame);
    if (label === "narrow") {
      const overflow = await frame.evaluate(() => {
        const width = document.documentElement.clientWidth;
        const wide = [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > width + 0.5)
          .map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + e.getAttribute("class"));
        return { by: document.documentElement.scrollWidth - width, wide: wide.slice(0, 5) };
      });
      assert.ok(overflow.by <= 0, `${name} is ${overflow.by}px too wide at 390 px: ${overflow.wide.join(", ")}`);
    }
    // The whole page in the viewport: a full-page screenshot leaves the part of an out-of-process
    // frame below the viewport unpainted.
    const height = await host.page.evaluate(() => document.documentElement.scrollHeight);
    await host.page.setViewportSize({ width: size.width, height: Math.max(size.height, height) });
    await settled(host, frame);
    await host.page.screenshot({ path: `${SHOTS}/apps-${name}-${label}.png` });
  }
  await host.page.setViewportSize(WIDTHS.desktop);
}

async function done(host) {
  assert.deepEqual(host.dialogs, [], "no dialog opened");
  assert.deepEqual(host.problems, []);
  await host.context.close();
}

test("posture view: score, severity counts and the trend chart from the host", async () => {
  const mcp = await mcpClient(env("DEMO_TOKEN"));
  const host = await openHost(mcp);
  const { frame, view, result } = await render(mcp, host, "get_posture", {});
  const first = result.tenants[0];
  await view.locator("h2").first().waitFor();
  assert.equal(await view.locator("h2").first().textContent(), first.tenant.display_name);
  assert.equal(await view.locator(".score").first().textContent(), first.latest[0].scan.score.toFixed(1));
  // The chart: drawn from get_score_trend, which the view called through the host.
  await view.locator("svg.chart polyline").waitFor({ state: "attached" });
  const points = await view.locator("svg.chart circle").count();
  assert.ok(points >= 2, "trend points: " + points);
  assert.deepEqual((await viewCalls(host)).map((c) => c.name), ["get_score_trend"]);
  if (result.tenants.length > 1) {
    // Another tenant from the picker: its own trend, again through the host.
    await view.locator("#picker select").selectOption("1");
    await view.locator("h2", { hasText: result.tenants[1].tenant.display_name }).first().waitFor();
    await view.locator("svg.chart polyline").waitFor({ state: "attached" });
    assert.deepEqual((await viewCalls(host)).map((c) => c.arguments.tenant),
      [first.tenant.id, result.tenants[1].tenant.id]);
    await view.locator("#picker select").selectOption("0");
    await view.locator("svg.chart polyline").waitFor({ state: "attached" });
  }
  await shoot(host, frame, "posture");
  await done(host);
  await mcp.client.close();
});

test("posture view follows the host's dark theme", async () => {
  const mcp = await mcpClient(env("DEMO_TOKEN"));
  const host = await openHost(mcp);
  const { frame, view } = await render(mcp, host, "get_posture", {}, "dark");
  await view.locator("svg.chart polyline").waitFor({ state: "attached" });
  const look = () => frame.evaluate(() => ({
    theme: document.documentElement.getAttribute("data-theme"),
    background: getComputedStyle(document.body).backgroundColor,
  }));
  assert.deepEqual(await look(), { theme: "dark", background: "rgb(13, 17, 23)" });
  await host.page.screenshot({ path: `${SHOTS}/apps-posture-dark-desktop.png`, fullPage: true });
  // The host switches to light while the view is shown.
  await host.page.evaluate(() => window.setTheme("light"));
  await frame.waitForFunction(() => document.documentElement.getAttribute("data-theme") === "light");
  assert.deepEqual(await look(), { theme: "light", background: "rgb(255, 255, 255)" });
  await done(host);
  await mcp.client.close();
});

test("findings view: rows, next page and a finding's detail, called through the host", async () => {
  const mcp = await mcpClient(env("DEMO_TOKEN"));
  const host = await openHost(mcp);
  const args = { limit: 8 };
  const { frame, view, result } = await render(mcp, host, "list_findings", args);
  assert.ok(result.total > 8 && result.next_cursor, "the demo has more than one page of failing findings");
  const rows = view.locator("#rows tr");
  await rows.first().waitFor();
  assert.equal(await rows.count(), 8);
  assert.equal(await view.locator("#count").textContent(), `1–8 of ${result.total}`);
  const firstPage = await rows.allTextContents();

  // Next page: the view asks the host for list_findings with the same arguments and the cursor.
  await view.locator("#next").click();
  await view.locator("#count", { hasText: `9–16 of ${result.total}` }).waitFor();
  assert.deepEqual(await viewCalls(host), [{ name: "list_findings", arguments: { limit: 8, cursor: result.next_cursor } }]);
  const secondPage = await rows.allTextContents();
  assert.equal(secondPage.length, 8);
  assert.notDeepEqual(secondPage, firstPage);

  // Open a finding: get_finding through the host, its evidence and remediation shown.
  const checkId = await rows.first().locator("td").nth(2).textContent();
  await rows.first().click();
  await view.locator("#detail h2", { hasText: checkId }).waitFor();
  const calls = await viewCalls(host);
  assert.equal(calls.length, 2);
  assert.equal(calls[1].name, "get_finding");
  assert.equal(typeof calls[1].arguments.finding_id, "number");
  assert.ok(await view.locator("#detail pre").count() >= 2, "evidence and remediation");
  assert.match(await view.locator("#detail").textContent(), /Remediation/);

  // Sorting and filtering stay in the view: no call.
  await view.locator("#severity").selectOption("high");
  for (const cell of await view.locator("#rows tr td:first-child").allTextContents()) assert.equal(cell, "high");
  await view.locator("#severity").selectOption("");
  assert.equal((await viewCalls(host)).length, 2);
  await shoot(host, frame, "findings");
  await done(host);
  await mcp.client.close();
});

test("comparison view: newly failing, fixed and the change per service", async () => {
  const mcp = await mcpClient(env("DEMO_TOKEN"));
  const posture = await mcp.client.callTool({ name: "get_posture", arguments: {} });
  const tenant = posture.structuredContent.tenants[0].tenant.id;
  const trend = await mcp.client.callTool({ name: "get_score_trend", arguments: { tenant } });
  const base = trend.structuredContent.points.find((p) => p.tenant_id === tenant).scan_id;
  const host = await openHost(mcp);
  const { frame, view, result } = await render(mcp, host, "compare_scans", { tenant, base_scan: base });
  assert.equal(result.base.id, base);
  await view.locator(".cards").waitFor();
  const text = await view.locator("#view").textContent();
  assert.match(text, new RegExp(`Scan #${base} .*→ scan #${result.head.id}`));
  assert.match(text, new RegExp(`Newly failing \\(${result.newly_failing.length}\\)`));
  assert.match(text, new RegExp(`Fixed \\(${result.resolved.length}\\)`));
  assert.ok(result.newly_failing.length + result.resolved.length > 0, "the demo's history has changes");
  // Pass rates per service come from get_scan of both scans, through the host.
  await view.locator("table tbody tr td", { hasText: "%" }).first().waitFor();
  assert.deepEqual((await viewCalls(host)).map((c) => c.name + " " + c.arguments.scan).sort(),
    [`get_scan ${base}`, `get_scan ${result.head.id}`].sort());
  await shoot(host, frame, "comparison");
  await done(host);
  await mcp.client.close();
});

test("a tenant named with markup is text in every view: no script runs", async () => {
  const mcp = await mcpClient(env("HOSTILE_TOKEN"));
  const host = await openHost(mcp);
  const xss = (frame) => frame.evaluate(() => ({
    flag: window.__xss ?? null, images: document.images.length, scripts: document.scripts.length,
  }));

  const posture = await render(mcp, host, "get_posture", {});
  await posture.view.locator("h2").first().waitFor();
  assert.equal(await posture.view.locator("h2").first().textContent(), HOSTILE_NAME);
  await posture.view.locator("svg.chart polyline").waitFor({ state: "attached" });
  assert.deepEqual(await xss(posture.frame), { flag: null, images: 0, scripts: 1 });

  const findings = await render(mcp, host, "list_findings", { limit: 5 });
  await findings.view.locator("#rows tr").first().waitFor();
  assert.equal(await findings.view.locator("#rows tr").first().locator("td").nth(5).textContent(), HOSTILE_NAME);
  await findings.view.locator("#rows tr").first().click();
  await findings.view.locator("#detail h2").first().waitFor();
  assert.ok((await findings.view.locator("#detail").textContent()).includes(HOSTILE_NAME));
  assert.deepEqual(await xss(findings.frame), { flag: null, images: 0, scripts: 1 });

  const comparison = await render(mcp, host, "compare_scans", {});
  await comparison.view.locator(".cards").waitFor();
  assert.equal(await comparison.view.locator("#view h2").first().textContent(), HOSTILE_NAME);
  assert.deepEqual(await xss(comparison.frame), { flag: null, images: 0, scripts: 1 });
  // And the host page itself was never reached.
  assert.equal(await host.page.evaluate(() => window.__xss ?? null), null);
  await done(host);
  await mcp.client.close();
});

test("start_scan's view follows the scan through the host and compares it once completed", async () => {
  const mcp = await mcpClient(env("HOSTILE_TOKEN"));
  const host = await openHost(mcp);
  const { view, result } = await render(mcp, host, "start_scan", { tenant: "hostile.example" });
  const id = result.scan_id;
  assert.equal(typeof id, "number");
  await view.locator(".cards").waitFor({ timeout: 120_000 });
  assert.match(await view.locator("#view").textContent(), new RegExp(`→ scan #${id} `));
  assert.equal(await view.locator("#view h2").first().textContent(), HOSTILE_NAME);
  const calls = await viewCalls(host);
  assert.deepEqual(calls[0], { name: "get_scan", arguments: { scan: id } });
  assert.deepEqual(calls.filter((c) => c.name === "compare_scans"), [{ name: "compare_scans", arguments: { head_scan: id } }]);
  assert.ok(calls.every((c) => c.name === "get_scan" || c.name === "compare_scans"), JSON.stringify(calls));
  await done(host);
  await mcp.client.close();
});
