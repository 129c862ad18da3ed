// The TypeScript SDK's OAuth client (@modelcontextprotocol/sdk 1.32.2, client/auth.js) against
// the server by its URL alone: the 401 leads it to the metadata; it registers (RFC 7591), or,
// given TLS_DIR, names itself by a Client ID Metadata Document that it serves over https on
// loopback (clientMetadataUrl; the certificate is TLS_DIR/cert.pem, signed by the test CA the
// server trusts through --extra-root-ca); it sends the browser to consent (driven by
// oauth_consent.mjs), exchanges the code on its loopback callback, reconnects with the token
// and calls get_posture. Prints one JSON line: {client_id, token_prefix, text,
// document_fetches, consent_heading, verified_domain}.
//
//   node oauth_ts.mjs BASE_URL [TLS_DIR]
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { consent } from "./oauth_consent.mjs";

const base = process.argv[2].replace(/\/$/, "");
const endpoint = new URL(base + "/mcp");

// The loopback callback (RFC 8252): receives the authorization response.
let gotCallback;
const callback = new Promise((resolve) => (gotCallback = resolve));
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://127.0.0.1");
  if (url.pathname !== "/callback") {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { "content-type": "text/plain" }).end("You may close this window.");
  gotCallback(url.searchParams);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const redirectUrl = `http://127.0.0.1:${server.address().port}/callback`;
const clientName = "aether365 client test (TypeScript SDK)";

// The Client ID Metadata Document, served over https on loopback when TLS_DIR is given.
const tlsDir = process.argv[3];
let documentServer;
let clientMetadataUrl;
let documentFetches = 0;
if (tlsDir) {
  documentServer = https.createServer(
    { cert: fs.readFileSync(`${tlsDir}/cert.pem`), key: fs.readFileSync(`${tlsDir}/key.pem`) },
    (req, res) => {
      if (req.url !== "/oauth/client-metadata.json") {
        res.writeHead(404).end();
        return;
      }
      documentFetches += 1;
      res.writeHead(200, { "content-type": "application/json", "cache-control": "max-age=300" });
      res.end(JSON.stringify({
        client_id: clientMetadataUrl,
        client_name: `${clientName}, metadata document`,
        redirect_uris: [redirectUrl],
        grant_types: ["authorization_code", "refresh_token"],
        response_types: ["code"],
        token_endpoint_auth_method: "none",
      }));
    },
  );
  await new Promise((resolve) => documentServer.listen(0, "127.0.0.1", resolve));
  clientMetadataUrl = `https://127.0.0.1:${documentServer.address().port}/oauth/client-metadata.json`;
}

const saved = {};
let consented;
const provider = {
  get redirectUrl() {
    return redirectUrl;
  },
  clientMetadataUrl,
  get clientMetadata() {
    return {
      client_name: clientName,
      redirect_uris: [redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  },
  state: () => "ts-sdk-state",
  clientInformation: () => saved.client,
  saveClientInformation: (info) => (saved.client = info),
  tokens: () => saved.tokens,
  saveTokens: (tokens) => (saved.tokens = tokens),
  saveCodeVerifier: (verifier) => (saved.verifier = verifier),
  codeVerifier: () => saved.verifier,
  redirectToAuthorization: (url) => {
    consented = consent(url.href);
  },
};

try {
  const first = new Client({ name: "aether365-oauth-ts", version: "1.0.0" });
  try {
    await first.connect(new StreamableHTTPClientTransport(endpoint, { authProvider: provider }));
    throw new Error("connected without authorization");
  } catch (e) {
    if (!(e instanceof UnauthorizedError)) throw e;
  }
  if (!consented) throw new Error("the SDK did not send the browser to authorize");
  const outcome = await consented;
  const params = await callback;
  if (params.get("error")) throw new Error(`authorization refused: ${params.get("error")}`);
  if (params.get("state") !== "ts-sdk-state") throw new Error(`state not returned: ${params.get("state")}`);
  if (params.get("iss") !== base) throw new Error(`iss is ${params.get("iss")}, not ${base}`);
  const transport = new StreamableHTTPClientTransport(endpoint, { authProvider: provider });
  await transport.finishAuth(params.get("code"));
  const client = new Client({ name: "aether365-oauth-ts", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(endpoint, { authProvider: provider }));
  const result = await client.callTool({ name: "get_posture", arguments: {} });
  const text = (result.content ?? []).map((c) => c.text ?? "").join("\n");
  console.log(JSON.stringify({
    client_id: saved.client?.client_id,
    token_prefix: saved.tokens?.access_token?.slice(0, 6),
    text,
    document_fetches: documentFetches,
    consent_heading: outcome.heading,
    verified_domain: outcome.verifiedDomain,
  }));
  await client.close();
} finally {
  server.close();
  documentServer?.close();
}
process.exit(0);
