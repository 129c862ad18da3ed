// The dashboard in a real browser: Playwright (playwright-core) driving Debian's Chromium
// against a running server with the Contoso demo. Run by scripts/test-browser, which starts
// the server and passes, in the environment: BASE_URL, CHROMIUM, SCREENSHOTS (a folder),
// OWNER_EMAIL/OWNER_PASSWORD (Contoso's owner), VIEWER_EMAIL/VIEWER_PASSWORD (a Contoso
// viewer), NEWORG_EMAIL/NEWORG_PASSWORD (the owner of an organisation with no tenant yet).
// Every page is screenshotted at a desktop and a narrow width; a console error, an uncaught
// exception or a Content-Security-Policy violation fails the test it happens in.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run scripts/test-browser`);
  return value;
};
const BASE = env("BASE_URL");
const SHOTS = env("SCREENSHOTS");
const EXPORT = new URL("../../fixtures/scubagear/ProviderSettingsExport.json", import.meta.url);
mkdirSync(SHOTS, { recursive: true });

const WIDTHS = { desktop: { width: 1366, height: 900 }, narrow: { width: 390, height: 844 } };
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

/** A 4xx the test asks for on purpose: Chromium logs every failed load as a console error. */
const EXPECTED_REFUSAL = /^console: Failed to load resource: the server responded with a status of (401|403) /;

/** A fresh browser context signed in as `email`, with its problems collected. */
async function signIn(email, password) {
  const context = await browser.newContext({ viewport: WIDTHS.desktop, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on("console", (m) => { if (m.type() === "error") problems.push("console: " + m.text()); });
  page.on("pageerror", (e) => problems.push("exception: " + e.message));
  await page.goto(BASE + "/overview");
  await page.waitForURL(/\/login$/);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await page.click("#login-form button[type=submit]");
  await page.waitForURL(/\/overview$/);
  return { context, page, problems };
}

/** Waits for the application shell to finish rendering the page. */
async function ready(page) {
  await page.waitForFunction(() => document.body.dataset.ready === "true" || document.body.dataset.ready === "error");
  assert.equal(await page.evaluate(() => document.body.dataset.ready), "true",
    "page error: " + (await page.locator(".alert-error").allTextContents()).join(" "));
}

/** Screenshots of the current page at both widths, as NAME-desktop.png and NAME-narrow.png. */
async function shoot(page, name) {
  for (const [label, size] of Object.entries(WIDTHS)) {
    await page.setViewportSize(size);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: `${SHOTS}/${name}-${label}.png`, fullPage: true });
  }
  await page.setViewportSize(WIDTHS.desktop);
}

async function done(session, refusalsExpected) {
  const problems = session.problems.filter((p) => !(refusalsExpected && EXPECTED_REFUSAL.test(p)));
  assert.deepEqual(problems, []);
  await session.context.close();
}

test("sign in and read the overview with its chart", async () => {
  const context = await browser.newContext({ viewport: WIDTHS.desktop });
  const page = await context.newPage();
  await page.goto(BASE + "/login");
  await shoot(page, "login");
  await context.close();

  const s = await signIn(env("OWNER_EMAIL"), env("OWNER_PASSWORD"));
  await ready(s.page);
  const card = s.page.locator(".tenant-card").first();
  await card.waitFor();
  assert.match(await card.locator("h2").textContent(), /Contoso/);
  assert.match(await card.locator(".score-value").textContent(), /^\d+(\.\d)?$/);
  assert.match(await card.locator(".data-source").textContent(), /collected/);
  // The trend is a real Chart.js chart with one point per completed scan (the demo has weeks).
  const points = await s.page.evaluate(() => {
    const canvas = document.querySelector("canvas[id^=trend-]");
    const chart = window.Chart && window.Chart.getChart(canvas);
    return chart ? chart.data.datasets[0].data.length : 0;
  });
  assert.ok(points >= 2, `trend points: ${points}`);
  await shoot(s.page, "overview");
  await done(s);
});

test("filter findings, sort them, open one", async () => {
  const s = await signIn(env("OWNER_EMAIL"), env("OWNER_PASSWORD"));
  await s.page.goto(BASE + "/findings");
  await ready(s.page);
  const all = await s.page.locator("#findings-summary").textContent();
  await s.page.selectOption("#f-status", "fail");
  await s.page.selectOption("#f-severity", "high");
  await Promise.all([s.page.waitForURL(/status=fail/), s.page.click("#findings-filters button[type=submit]")]);
  await ready(s.page);
  assert.match(s.page.url(), /severity=high/);
  const filtered = await s.page.locator("#findings-summary").textContent();
  assert.notEqual(filtered, all);
  const severities = await s.page.locator("#findings-table tbody td:first-child").allTextContents();
  assert.ok(severities.length > 0, "no high failing finding in the demo");
  assert.ok(severities.every((t) => t === "high"), severities.join(","));
  const statuses = await s.page.locator("#findings-table tbody td:nth-child(2)").allTextContents();
  assert.ok(statuses.every((t) => t === "fail"), statuses.join(","));
  // Sort by title: the link is shareable and the order holds.
  await Promise.all([s.page.waitForURL(/sort=title/), s.page.click("#findings-table thead a:has-text('Title')")]);
  await ready(s.page);
  const titles = await s.page.locator("#findings-table tbody th a").allTextContents();
  const sorted = [...titles].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase()));
  assert.deepEqual(titles.map((t) => t.toLowerCase()), sorted.map((t) => t.toLowerCase()));
  await shoot(s.page, "findings");
  // A deep link to the filtered list reproduces it in a new page.
  const shared = s.page.url();
  const other = await s.context.newPage();
  await other.goto(shared);
  await ready(other);
  assert.deepEqual(await other.locator("#findings-table tbody th a").allTextContents(), titles);
  await other.close();
  await Promise.all([s.page.waitForURL(/\/findings\/\d+$/), s.page.locator("#findings-table tbody th a").first().click()]);
  await ready(s.page);
  assert.match(await s.page.locator("#remediation").textContent(), /Remediation/);
  assert.ok((await s.page.locator("#framework-table tbody tr").count()) >= 1);
  assert.ok((await s.page.locator("#evidence").textContent()).length > 2);
  await shoot(s.page, "finding");
  await done(s);
});

test("start a scan, watch it finish, compare two scans", async () => {
  const s = await signIn(env("OWNER_EMAIL"), env("OWNER_PASSWORD"));
  await s.page.goto(BASE + "/scans");
  await ready(s.page);
  await s.page.selectOption("#scan-kind", "compliance");
  await s.page.click("#start-scan button[type=submit]");
  // Progress arrives over SSE until the final status.
  await s.page.waitForFunction(() => ["completed", "failed"].includes(document.getElementById("scan-live")?.dataset.status), null, { timeout: 120000 });
  assert.equal(await s.page.locator("#scan-live").getAttribute("data-status"), "completed",
    await s.page.locator("#scan-live").textContent());
  const id = (await s.page.locator("#scan-result-link").getAttribute("href")).split("/").pop();
  await s.page.waitForFunction((i) => document.querySelector("#scans-table tbody tr th")?.textContent === "#" + i, id);
  const first = s.page.locator("#scans-table tbody tr").first();
  assert.match(await first.textContent(), /dashboard/);
  assert.match(await first.textContent(), /completed/);
  await shoot(s.page, "scans");
  await Promise.all([s.page.waitForURL(/\/scans\/\d+$/), s.page.click("#scan-result-link")]);
  await ready(s.page);
  await shoot(s.page, "scan");
  // Compare: the two newest completed scans of the form's default choice.
  await s.page.goto(BASE + "/scans");
  await ready(s.page);
  await Promise.all([s.page.waitForURL(/\/scans\/compare\?/), s.page.click("#compare-form button[type=submit]")]);
  await ready(s.page);
  assert.match(await s.page.locator("#compare-summary").textContent(), /scan #\d+.*scan #\d+/s);
  for (const id of ["#newly-failing", "#resolved", "#still-failing"]) await s.page.locator(id).waitFor();
  await shoot(s.page, "compare");
  // History pages back in time: the demo has more scans than one page.
  await s.page.goto(BASE + "/scans");
  await ready(s.page);
  const newest = await s.page.locator("#scans-table tbody th").first().textContent();
  await Promise.all([s.page.waitForURL(/before=\d+/), s.page.click("#older-scans")]);
  await ready(s.page);
  const older = await s.page.locator("#scans-table tbody th").first().textContent();
  assert.ok(Number(older.slice(1)) < Number(newest.slice(1)), `${older} after ${newest}`);
  await done(s);
});

test("create a token, shown once, and revoke it", async () => {
  const s = await signIn(env("OWNER_EMAIL"), env("OWNER_PASSWORD"));
  await s.page.goto(BASE + "/settings/mcp");
  await s.page.waitForFunction(() => document.getElementById("server-url").textContent.startsWith("http"));
  assert.ok(await s.page.locator("#not-available").isHidden());
  await s.page.fill("#token-label", "Browser test");
  await s.page.click("#create-token button[type=submit]");
  await s.page.waitForFunction(() => !document.getElementById("new-token").hidden);
  const token = await s.page.inputValue("#new-token-value");
  assert.match(token, /^a365_/);
  await shoot(s.page, "settings-mcp-token-created");
  // The token works, then the revocation stops it.
  const call = () => s.page.evaluate(async (t) => (await fetch("/mcp", { method: "POST", headers: {
    Authorization: "Bearer " + t, Accept: "application/json, text/event-stream", "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 0, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "browser-test", version: "1" } } }) })).status, token);
  assert.equal(await call(), 200);
  s.page.once("dialog", (d) => d.accept());
  const row = s.page.locator("#tokens-table tbody tr", { hasText: "Browser test" });
  await row.locator("button.danger").click();
  await s.page.waitForFunction(() => [...document.querySelectorAll("#tokens-table tbody tr")].some((r) => r.textContent.includes("Browser test") && r.textContent.includes("Revoked")));
  assert.equal(await call(), 401);
  // Shown once: after a reload the secret is nowhere on the page.
  await s.page.reload();
  await s.page.waitForFunction(() => document.querySelectorAll("#tokens-table tbody tr").length > 0);
  assert.ok(!(await s.page.content()).includes(token));
  await shoot(s.page, "settings-mcp");
  await done(s, true);
});

test("register an OAuth client, see its client ID, delete it", async () => {
  const s = await signIn(env("OWNER_EMAIL"), env("OWNER_PASSWORD"));
  await s.page.goto(BASE + "/settings/mcp");
  await s.page.waitForFunction(() => document.querySelectorAll("#oauth-clients-table tbody tr").length > 0);
  // Refused on the page, with the server's reason: not https and not loopback.
  await s.page.fill("#oauth-client-name", "Browser client");
  await s.page.fill("#oauth-client-uris", "http://evil.example/callback");
  await s.page.click("#create-oauth-client button[type=submit]");
  await s.page.waitForFunction(() => !document.getElementById("oauth-client-error").hidden);
  assert.match(await s.page.locator("#oauth-client-error").textContent(), /neither https nor an http loopback URI/);
  await s.page.fill("#oauth-client-uris", "https://app.example/callback\nhttp://127.0.0.1:8976/callback");
  await s.page.click("#create-oauth-client button[type=submit]");
  await s.page.waitForFunction(() => !document.getElementById("oauth-client-created").hidden);
  const created = await s.page.locator("#oauth-client-created").textContent();
  const clientId = created.match(/a365c_[A-Za-z0-9]+/)[0];
  const row = s.page.locator("#oauth-clients-table tbody tr", { hasText: "Browser client" });
  await row.waitFor();
  assert.ok((await row.textContent()).includes(clientId));
  assert.ok((await row.textContent()).includes("http://127.0.0.1:8976/callback"));
  await shoot(s.page, "settings-mcp-oauth-client");
  s.page.once("dialog", (d) => d.accept());
  await row.locator("button.danger").click();
  await s.page.waitForFunction((id) => !document.getElementById("oauth-clients-table").textContent.includes(id), clientId);
  // The refused registration above is the one expected 400.
  const refusals = s.problems.filter((p) => /status of 400 /.test(p));
  assert.equal(refusals.length, 1, JSON.stringify(s.problems));
  s.problems.splice(s.problems.findIndex((p) => /status of 400 /.test(p)), 1);
  await done(s);
});

test("a new organisation sees MCP as not available, with the reason and the next step", async () => {
  const s = await signIn(env("NEWORG_EMAIL"), env("NEWORG_PASSWORD"));
  await ready(s.page);
  await s.page.locator("#onboarding").waitFor();
  await shoot(s.page, "overview-new-organisation");
  await s.page.goto(BASE + "/settings/mcp");
  await s.page.waitForFunction(() => !document.getElementById("not-available").hidden);
  assert.equal(await s.page.locator("#server-url").textContent(), "Not available");
  assert.match(await s.page.locator("#not-available-reason").textContent(), /No Microsoft 365 tenant is connected/);
  assert.equal(await s.page.locator("#not-available-next").getAttribute("href"), "/tenants");
  await shoot(s.page, "settings-mcp-not-available");
  await Promise.all([s.page.waitForURL(/\/tenants$/), s.page.click("#not-available-next")]);
  await ready(s.page);
  await done(s);
});

test("a viewer reads but is refused what a viewer may not do", async () => {
  const s = await signIn(env("VIEWER_EMAIL"), env("VIEWER_PASSWORD"));
  await ready(s.page);
  await s.page.goto(BASE + "/scans");
  await ready(s.page);
  assert.equal(await s.page.locator("#start-scan").count(), 0);
  assert.match(await s.page.locator(".viewer-note").textContent(), /may read but not start scans/);
  await s.page.goto(BASE + "/settings/mcp");
  await s.page.waitForFunction(() => document.querySelectorAll("#tokens-table tbody tr").length > 0);
  assert.ok(await s.page.locator("#create-token").isHidden());
  assert.ok(await s.page.locator("#create-oauth-client").isHidden());
  assert.equal(await s.page.locator("#tokens-table button.danger").count(), 0);
  // The API refuses too, with a problem document: the page hiding a button is not the defence.
  const refused = await s.page.evaluate(async () => {
    const post = (path, body) => fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    const scan = await post("/api/v1/scans", { tenant_id: 1 });
    const token = await post("/api/v1/tokens", { label: "viewer" });
    const person = await post("/api/v1/people", { email: "x@contoso.example", role: "viewer" });
    const revoke = await fetch("/api/v1/tokens/1", { method: "DELETE", headers: { "Content-Type": "application/json" } });
    return { statuses: [scan.status, token.status, person.status, revoke.status], type: scan.headers.get("content-type"), body: await scan.json() };
  });
  assert.deepEqual(refused.statuses, [403, 403, 403, 403]);
  assert.equal(refused.type, "application/problem+json");
  assert.equal(refused.body.status, 403);
  assert.match(refused.body.detail, /viewer role may read but not start scans/);
  await s.page.goto(BASE + "/people");
  await ready(s.page);
  assert.equal(await s.page.locator("#invite-form").count(), 0);
  await shoot(s.page, "people-viewer");
  await done(s, true);
});

test("people: invite, change a role, remove; every change audit-logged", async () => {
  const s = await signIn(env("OWNER_EMAIL"), env("OWNER_PASSWORD"));
  await s.page.goto(BASE + "/people");
  await ready(s.page);
  const email = `invited-${Date.now()}@contoso.example`;
  await s.page.fill("#invite-email", email);
  await s.page.selectOption("#invite-role", "viewer");
  await s.page.click("#invite-form button[type=submit]");
  await s.page.locator("#invited-password").waitFor();
  assert.ok((await s.page.locator("#invited-password").textContent()).length >= 12);
  const row = s.page.locator("#people-table tbody tr", { hasText: email });
  await row.waitFor();
  await row.locator("select").selectOption("admin");
  await s.page.waitForFunction((e) => [...document.querySelectorAll("#people-table tbody tr")].some((r) => r.textContent.includes(e) && r.querySelector("select")?.value === "admin"), email);
  await shoot(s.page, "people");
  s.page.once("dialog", (d) => d.accept());
  await row.locator("button.danger").click();
  await s.page.waitForFunction((e) => ![...document.querySelectorAll("#people-table tbody tr")].some((r) => r.textContent.includes(e)), email);
  const actions = await s.page.evaluate(async () => (await (await fetch("/api/v1/audit?limit=20")).json()).items.map((i) => i.action));
  for (const action of ["person.invite", "person.role", "person.remove"]) assert.ok(actions.includes(action), actions.join(","));
  await done(s);
});

test("tenants: connection, collection per service, and a ScubaGear import by upload", async () => {
  const s = await signIn(env("OWNER_EMAIL"), env("OWNER_PASSWORD"));
  await s.page.goto(BASE + "/tenants");
  await ready(s.page);
  const rows = s.page.locator("#tenants-table tbody tr");
  assert.ok((await rows.count()) >= 1);
  assert.match(await rows.first().textContent(), /import only|connected/);
  await shoot(s.page, "tenants");
  await rows.first().locator("input[type=file]").setInputFiles({
    name: "ProviderSettingsExport.json", mimeType: "application/json", buffer: readFileSync(EXPORT),
  });
  await rows.first().locator("button", { hasText: "Import" }).click();
  await s.page.waitForFunction(() => document.getElementById("tenant-notice").className.includes("alert-success"));
  assert.match(await s.page.locator("#tenant-notice").textContent(), /Imported snapshot \d+/);
  await done(s);
});

test("reports: rendered from Markdown, downloadable", async () => {
  const s = await signIn(env("OWNER_EMAIL"), env("OWNER_PASSWORD"));
  await s.page.goto(BASE + "/reports");
  await ready(s.page);
  await shoot(s.page, "reports");
  await Promise.all([s.page.waitForURL(/\/reports\/\d+$/), s.page.locator("#reports-table tbody th a").first().click()]);
  await ready(s.page);
  assert.ok((await s.page.locator("#report-body h1, #report-body h2").count()) >= 1);
  const [download] = await Promise.all([s.page.waitForEvent("download"), s.page.click("#report-download")]);
  assert.match(download.suggestedFilename(), /^aether365-report-\d+\.md$/);
  await shoot(s.page, "report");
  await done(s);
});

test("alerts: a signed webhook shown once, a rule paused, resumed and edited; viewers only read", async () => {
  const s = await signIn(env("OWNER_EMAIL"), env("OWNER_PASSWORD"));
  await s.page.goto(BASE + "/alerts");
  await ready(s.page);
  // A destination on a loopback address is refused, with the reason on the page.
  await s.page.fill("#destination-name", "Loopback");
  await s.page.fill("#destination-url", "https://127.0.0.1:9/hook");
  await s.page.click("#destination-form button[type=submit]");
  await s.page.waitForFunction(() => !document.getElementById("alerts-error").hidden);
  assert.match(await s.page.locator("#alerts-error").textContent(), /url/);
  assert.equal(await s.page.locator("#destinations-table tbody tr", { hasText: "Loopback" }).count(), 0);
  // A webhook: its signing secret is shown once.
  await s.page.fill("#destination-name", "SOC webhook");
  await s.page.fill("#destination-url", "https://hooks.example.com/aether365");
  await s.page.click("#destination-form button[type=submit]");
  await s.page.waitForFunction(() => !document.getElementById("alert-secret").hidden);
  const secret = await s.page.locator("#signing-secret").textContent();
  assert.match(secret, /^whsec_/);
  const destination = s.page.locator("#destinations-table tbody tr", { hasText: "SOC webhook" });
  await destination.waitFor();
  assert.match(await destination.textContent(), /https:\/\/hooks\.example\.com\/…/);
  // A rule sending to it.
  await s.page.fill("#rule-name", "Critical regressions");
  await s.page.selectOption("#rule-trigger", "newly_failing");
  await s.page.selectOption("#rule-severity", "critical");
  await s.page.selectOption("#rule-destinations", { label: "SOC webhook (webhook)" });
  await s.page.click("#rule-form button[type=submit]");
  const rule = s.page.locator("#rules-table tbody tr", { hasText: "Critical regressions" });
  await rule.waitFor();
  assert.match(await rule.textContent(), /critical or above.*SOC webhook.*yes/);
  // The secret wraps on a phone instead of widening the page.
  await s.page.setViewportSize(WIDTHS.narrow);
  assert.ok(await s.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "alerts page wider than 390 px");
  await s.page.setViewportSize(WIDTHS.desktop);
  await shoot(s.page, "alerts");
  // Paused, resumed, edited: each through the API, each kept after a reload.
  await rule.locator("button", { hasText: "Pause" }).click();
  await s.page.waitForFunction(() => [...document.querySelectorAll("#rules-table tbody tr")].some((r) => r.textContent.includes("paused")));
  await s.page.reload();
  await ready(s.page);
  const paused = s.page.locator("#rules-table tbody tr", { hasText: "Critical regressions" });
  assert.match(await paused.textContent(), /paused/);
  await paused.locator("button", { hasText: "Resume" }).click();
  await s.page.waitForFunction(() => [...document.querySelectorAll("#rules-table tbody tr")].some((r) => r.textContent.includes("Critical regressions") && r.textContent.includes("yes")));
  await s.page.locator("#rules-table tbody tr", { hasText: "Critical regressions" }).locator("button", { hasText: "Edit" }).click();
  assert.equal(await s.page.inputValue("#rule-name"), "Critical regressions");
  assert.equal(await s.page.inputValue("#rule-severity"), "critical");
  await s.page.fill("#rule-name", "High regressions");
  await s.page.selectOption("#rule-severity", "high");
  await s.page.click("#rule-form button[type=submit]");
  const edited = s.page.locator("#rules-table tbody tr", { hasText: "High regressions" });
  await edited.waitFor();
  assert.match(await edited.textContent(), /high or above.*yes/);
  assert.equal(await s.page.locator("#rules-table tbody tr", { hasText: "Critical regressions" }).count(), 0);
  // The secret is nowhere after a reload; the changes are in the audit trail.
  await s.page.reload();
  await ready(s.page);
  assert.ok(!(await s.page.content()).includes(secret));
  const actions = await s.page.evaluate(async () => (await (await fetch("/api/v1/audit?limit=50")).json()));
  const names = JSON.stringify(actions);
  for (const action of ["alert.destination.create", "alert.rule.create", "alert.rule.update"]) {
    assert.ok(names.includes(action), action + " audited");
  }
  // Deleted: the rule, then the destination.
  s.page.on("dialog", (d) => d.accept());
  await s.page.locator("#rules-table tbody tr", { hasText: "High regressions" }).locator("button.danger").click();
  await s.page.waitForFunction(() => !document.querySelector("#rules-table")?.textContent.includes("High regressions"));
  await s.page.locator("#destinations-table tbody tr", { hasText: "SOC webhook" }).locator("button.danger").click();
  await s.page.waitForFunction(() => !document.querySelector("#destinations-table")?.textContent.includes("SOC webhook"));
  await done({ ...s, problems: s.problems.filter((p) => !/status of 400 /.test(p)) });

  const v = await signIn(env("VIEWER_EMAIL"), env("VIEWER_PASSWORD"));
  await v.page.goto(BASE + "/alerts");
  await ready(v.page);
  assert.equal(await v.page.locator("#destination-form").count(), 0);
  assert.equal(await v.page.locator("#rule-form").count(), 0);
  assert.match(await v.page.locator(".viewer-note").textContent(), /change alert destinations or rules/);
  await shoot(v.page, "alerts-viewer");
  await done(v);
});

/** The rows of the framework report shown, as [id, status] pairs. */
async function reportRows(page) {
  return page.$$eval(".report-group tbody tr[data-id]", (rows) => rows.map((r) => [r.dataset.id, r.dataset.status]));
}

/** A cell of the totals table: the row with `rowId` (or the first, "all") and a status column. */
async function totalCell(page, rowId, status) {
  const row = rowId ? "#" + rowId : "#report-totals tbody tr:first-child";
  return Number(await page.locator(`${row} td[data-status="${status}"]`).textContent());
}

test("the CIS report: every recommendation, filtered by profile and status, totals that agree; its HTML file renders", async () => {
  const s = await signIn(env("VIEWER_EMAIL"), env("VIEWER_PASSWORD"));
  await s.page.goto(BASE + "/reports");
  await ready(s.page);
  await Promise.all([s.page.waitForURL(/\/frameworks\/cis$/), s.page.click("#cis-report-link")]);
  await ready(s.page);
  const all = await reportRows(s.page);
  const total = Number(await s.page.locator("#report-totals tbody tr:first-child td").first().textContent());
  assert.ok(all.length >= 160, "every CIS v7.0.0 recommendation: " + all.length);
  assert.equal(all.length, total);
  assert.ok(all.some(([id]) => id === "1.1.2") && all.some(([id]) => id === "9.1.12"));
  assert.equal(all.filter(([, st]) => st === "manual").length, await totalCell(s.page, null, "manual"));
  await shoot(s.page, "cis-report");

  // Filter by profile and status: a plain GET form, so the filtered page is a link.
  await s.page.selectOption("#r-profile", "E3 L1");
  await s.page.selectOption("#r-status", "not_decidable");
  await Promise.all([s.page.waitForURL(/profile=E3\+L1.*status=not_decidable/), s.page.click("#report-filters button[type=submit]")]);
  await ready(s.page);
  const shown = await reportRows(s.page);
  assert.ok(shown.length > 0 && shown.length < all.length);
  assert.ok(shown.every(([, st]) => st === "not_decidable"));
  assert.equal(shown.length, await totalCell(s.page, "totals-E3-L1", "not_decidable"));
  assert.match(await s.page.locator("#report-shown").textContent(), new RegExp("^" + shown.length + " of " + total + " "));
  await shoot(s.page, "cis-report-filtered");

  // The downloads: CSV, and a self-contained HTML file that renders with no CSP violation.
  const [csv] = await Promise.all([s.page.waitForEvent("download"), s.page.click("#report-csv")]);
  assert.match(csv.suggestedFilename(), /^aether365-cis-tenant-\d+-scan-\d+\.csv$/);
  const htmlUrl = await s.page.locator("#report-html").getAttribute("href");
  const response = await s.page.request.get(BASE + htmlUrl);
  assert.equal(response.status(), 200);
  assert.match(response.headers()["content-type"], /^text\/html/);
  const file = await s.context.newPage();
  const fileProblems = [];
  file.on("console", (m) => { if (m.type() === "error") fileProblems.push(m.text()); });
  file.on("request", (r) => { if (!r.url().startsWith("data:") && r.url() !== "about:blank") fileProblems.push("load: " + r.url()); });
  await file.setContent(await response.text());
  assert.ok((await file.locator("table tr").count()) > 160);
  assert.equal(await file.locator("script").count(), 0);
  const headingSize = await file.locator("h1").evaluate((h) => getComputedStyle(h).fontSize);
  assert.equal(headingSize, "24px", "the inline stylesheet applies (allowed by its hash)");
  assert.deepEqual(fileProblems, []);
  await file.screenshot({ path: `${SHOTS}/cis-report-file.png`, fullPage: false });
  await file.close();
  await done(s);
});

test("the SCuBA report: every policy with its criticality, filtered by criticality and status", async () => {
  const s = await signIn(env("VIEWER_EMAIL"), env("VIEWER_PASSWORD"));
  await s.page.goto(BASE + "/frameworks/scuba");
  await ready(s.page);
  const all = await reportRows(s.page);
  assert.ok(all.length >= 120, "every SCuBA policy: " + all.length);
  assert.ok(all.some(([id]) => id === "MS.AAD.1.1v1"));
  await s.page.selectOption("#r-criticality", "SHALL");
  await s.page.selectOption("#r-status", "pass");
  await Promise.all([s.page.waitForURL(/criticality=SHALL.*status=pass/), s.page.click("#report-filters button[type=submit]")]);
  await ready(s.page);
  const shown = await reportRows(s.page);
  assert.ok(shown.every(([, st]) => st === "pass"));
  assert.equal(shown.length, await totalCell(s.page, "totals-SHALL", "pass"));
  await shoot(s.page, "scuba-report");
  await done(s);
});
