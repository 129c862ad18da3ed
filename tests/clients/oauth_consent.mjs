// The person in front of the browser during an OAuth client's authorization: Playwright
// (playwright-core) drives Debian's Chromium from the authorization URL a client opened, through
// the dashboard's sign-in, to the consent page, chooses ONE tenant and allows; the browser then
// lands on the client's own redirect URI (its loopback callback), which receives the code.
//
//   node oauth_consent.mjs AUTHORIZE_URL      (CLI: prints the URL the browser ended on)
//   import { consent } from "./oauth_consent.mjs"
//
// Environment: CHROMIUM (the browser), AETHER365_DASHBOARD_EMAIL / AETHER365_DASHBOARD_PASSWORD
// (the demo's owner), AETHER365_CONSENT_TENANT (the tenant's display name to grant).
import { chromium } from "playwright-core";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests/clients/run`);
  return value;
};

/** Signs in and allows `authorizeUrl` for one tenant; answers the URL the browser ended on,
 * the consent page's heading and its verified domain (a metadata document's, else null). */
export async function consent(authorizeUrl) {
  const authorize = new URL(authorizeUrl);
  const browser = await chromium.launch({
    executablePath: env("CHROMIUM"),
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await (await browser.newContext()).newPage();
    await page.goto(authorize.href);
    // Signed out: the authorization request sends the browser to the sign-in, which comes back.
    await page.waitForURL((u) => u.pathname === "/login", { timeout: 15000 });
    await page.fill("#email", env("AETHER365_DASHBOARD_EMAIL"));
    await page.fill("#password", env("AETHER365_DASHBOARD_PASSWORD"));
    await page.click("#login-form button[type=submit]");
    await page.waitForURL((u) => u.pathname === "/oauth/authorize", { timeout: 15000 });
    await page.waitForSelector("select#tenant", { timeout: 15000 });
    const heading = (await page.textContent("h1")) ?? "";
    // A client named by a metadata document: the domain that served it, shown as verified.
    const verified = await page.$(".verified-domain");
    const verifiedDomain = verified ? ((await verified.textContent()) ?? "").trim() : null;
    await page.selectOption("select#tenant", { label: `Only ${env("AETHER365_CONSENT_TENANT")}` });
    // The redirect leaves the server's origin for the client's loopback callback.
    const left = page.waitForURL((u) => u.origin !== authorize.origin, { timeout: 15000 });
    await page.click("button[name=decision][value=allow]");
    await left;
    return { landed: page.url(), heading: heading.trim(), verifiedDomain };
  } finally {
    await browser.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  consent(process.argv[2]).then(
    (outcome) => console.log(JSON.stringify(outcome)),
    (e) => {
      console.error(`consent failed: ${e?.stack ?? e}`);
      process.exit(1);
    },
  );
}
