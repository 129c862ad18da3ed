//! The "Settings > MCP" page in a real browser: headless Chromium driven over the DevTools
//! protocol by a small Node script (Node 20's `--experimental-websocket`). Signs in, checks
//! what the page shows, creates a token, revokes it and signs out, failing on any console
//! error, exception or Content-Security-Policy violation.
//!
//! Optional: skipped with a notice when `chromium` or `node` is absent, or when
//! `AETHER365_SKIP_BROWSER_TESTS` is set. `AETHER365_SCREENSHOT_DIR` keeps the screenshots.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::common::{databases, spawn_app};
use aether365_actors::directory;

const PASSWORD: &str = "correct horse battery staple";

/// The DevTools driver. Arguments: base URL, email, password, Chromium binary, output directory.
const DRIVER: &str = r#"
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
const [base, email, password, chromium, out] = process.argv.slice(2);
const profile = out + "/profile";
const browser = spawn(chromium, ["--headless=new", "--no-sandbox", "--disable-gpu",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--no-first-run", "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank"],
  { stdio: "ignore" });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const problems = [];
function finish(code, message) {
  if (message) console.log(message);
  try { browser.kill(); } catch {}
  process.exit(code);
}
setTimeout(() => finish(2, "timed out"), 45000);
let port;
for (let i = 0; i < 100 && !port; i++) {
  const file = profile + "/DevToolsActivePort";
  if (existsSync(file)) port = readFileSync(file, "utf8").split("\n")[0].trim();
  if (!port) await sleep(100);
}
if (!port) finish(2, "chromium did not start");
let targets;
for (let i = 0; i < 50 && !targets; i++) {
  try { targets = await (await fetch(`http://127.0.0.1:${port}/json`)).json(); } catch { await sleep(100); }
}
const ws = new WebSocket(targets.find((t) => t.type === "page").webSocketDebuggerUrl);
await new Promise((r) => ws.addEventListener("open", r));
let id = 0;
const pending = new Map();
ws.addEventListener("message", (m) => {
  const msg = JSON.parse(m.data);
  if (msg.id && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id); return; }
  if (msg.method === "Runtime.exceptionThrown") problems.push("exception: " + JSON.stringify(msg.params.exceptionDetails));
  if (msg.method === "Runtime.consoleAPICalled" && msg.params.type === "error") problems.push("console: " + JSON.stringify(msg.params.args));
  if (msg.method === "Log.entryAdded" && msg.params.entry.level === "error") problems.push("log: " + msg.params.entry.text);
});
const send = (method, params = {}) => new Promise((r) => {
  const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params }));
});
const evaluate = async (expression) => {
  const answer = await send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true });
  return answer.result && answer.result.result ? answer.result.result.value : undefined;
};
async function waitFor(what, expression) {
  for (let i = 0; i < 100; i++) {
    if (await evaluate(expression)) return;
    await sleep(100);
  }
  finish(1, "timed out waiting for " + what + "; problems: " + JSON.stringify(problems));
}
async function screenshot(name) {
  await send("Emulation.setDeviceMetricsOverride", { width: 1280, height: 1600, deviceScaleFactor: 1, mobile: false });
  let shot;
  for (let i = 0; i < 20; i++) {
    // Capturing fails while the first frame is not painted yet: retry.
    shot = await send("Page.captureScreenshot", { format: "png", captureBeyondViewport: true });
    if (shot.result) break;
    await sleep(150);
  }
  if (!shot.result) finish(1, "cannot capture " + name + ": " + JSON.stringify(shot.error));
  writeFileSync(out + "/" + name, Buffer.from(shot.result.data, "base64"));
}
await send("Runtime.enable");
await send("Log.enable");
await send("Page.enable");
await send("Page.navigate", { url: base + "/settings/mcp" });
await waitFor("the sign-in page", "location.pathname === '/login' && !!document.getElementById('login-form')");
await screenshot("login.png");
await evaluate(`document.getElementById('email').value = ${JSON.stringify(email)};
  document.getElementById('password').value = ${JSON.stringify(password)};
  document.getElementById('login-form').requestSubmit(); true`);
await waitFor("the MCP settings page", "location.pathname === '/settings/mcp'");
await waitFor("the server URL", `document.getElementById('server-url')?.textContent === ${JSON.stringify(base)}`);
await waitFor("the token table", "document.querySelectorAll('#tokens-table tbody tr').length === 1");
await waitFor("the audit trail", "document.querySelector('#audit-table tbody')?.textContent.includes('dashboard.login')");
const page = await evaluate(`JSON.stringify({
  cursor: document.getElementById('cursor-config').textContent,
  tenants: document.querySelectorAll('#token-tenants option').length,
  neverUsed: document.querySelector('#tokens-table tbody').textContent.includes('Never used'),
  account: document.getElementById('account-name').textContent })`);
const seen = JSON.parse(page);
if (!seen.cursor.includes(base + "/mcp") || !seen.cursor.includes("YOUR_TOKEN")) finish(1, "cursor config: " + seen.cursor);
if (seen.tenants !== 1 || !seen.neverUsed || !seen.account.includes(email)) finish(1, "page: " + page);
await screenshot("mcp.png");
await evaluate(`document.getElementById('token-label').value = 'Browser test';
  document.getElementById('token-expiry').value = '1y';
  document.getElementById('create-token').requestSubmit(); true`);
await waitFor("the new token", "!document.getElementById('new-token').hidden && document.getElementById('new-token-value').value.startsWith('a365_')");
await waitFor("the new token's row", "document.querySelectorAll('#tokens-table tbody tr').length === 2");
const token = await evaluate("document.getElementById('new-token-value').value");
await screenshot("created.png");
await evaluate("window.confirm = () => true; document.querySelector('#tokens-table tbody tr button.danger').click(); true");
await waitFor("the revocation", "document.querySelector('#tokens-table tbody tr .badge')?.textContent === 'Revoked'");
await evaluate("document.getElementById('logout').click(); true");
await waitFor("the sign-out", "location.pathname === '/login'");
if (problems.length) finish(1, "browser problems: " + JSON.stringify(problems));
console.log("TOKEN " + token);
finish(0, "ok");
"#;

/// `name` on the `PATH`, if there.
fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

fn browser() -> Option<(PathBuf, PathBuf)> {
    if std::env::var_os("AETHER365_SKIP_BROWSER_TESTS").is_some() {
        eprintln!("note: AETHER365_SKIP_BROWSER_TESTS is set; skipping the browser test");
        return None;
    }
    let chromium = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find_map(find_on_path);
    match (chromium, find_on_path("node")) {
        (Some(chromium), Some(node)) => Some((chromium, node)),
        _ => {
            eprintln!("note: chromium or node is absent; skipping the browser test");
            None
        }
    }
}

fn keep_screenshots(from: &Path) {
    let Some(dir) = std::env::var_os("AETHER365_SCREENSHOT_DIR") else {
        return;
    };
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["login.png", "mcp.png", "created.png"] {
        std::fs::copy(from.join(name), Path::new(&dir).join(name)).unwrap();
    }
}

#[actix_web::test]
async fn the_settings_page_works_in_a_real_browser() {
    let Some((chromium, node)) = browser() else {
        return;
    };
    // The page is the same on every database; SQLite is enough.
    let testdb = databases().await.into_iter().next().unwrap();
    let app = spawn_app(testdb).await;
    directory::create_user(
        &app.testdb.db,
        app.organisation_id,
        "owner@contoso.example",
        PASSWORD,
        "owner",
    )
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("driver.mjs");
    std::fs::write(&script, DRIVER).unwrap();
    let mut command = Command::new(node);
    command
        .arg("--experimental-websocket")
        .arg("--no-warnings")
        .arg(&script)
        .arg(&app.address)
        .arg("owner@contoso.example")
        .arg(PASSWORD)
        .arg(&chromium)
        .arg(dir.path());
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::task::spawn_blocking(move || command.output()),
    )
    .await
    .expect("the browser run timed out")
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "browser run failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    keep_screenshots(dir.path());
    // The token the page showed was real, and is revoked now.
    let token = stdout
        .lines()
        .find_map(|l| l.strip_prefix("TOKEN "))
        .expect("the token shown");
    let status = app
        .client
        .post(format!("{}/mcp", app.address))
        .bearer_auth(token)
        .header("Accept", "application/json, text/event-stream")
        .json(
            &serde_json::json!({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "tests", "version": "1"}}}),
        )
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
}
