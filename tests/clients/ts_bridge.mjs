// Puts the TypeScript SDK client (@modelcontextprotocol/sdk) behind newline-delimited JSON-RPC
// on stdin/stdout, so the Python harness drives it with the same conversations as every client.
//
//   node ts_bridge.mjs --transport streamable|sse --url http://127.0.0.1:PORT/mcp
//
// The Authorization header value comes from the AETHER365_AUTH environment variable.
// `initialize` connects (the SDK does its own handshake); every other request is made through
// the SDK's typed methods; server notifications are written out as JSON-RPC notifications.
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const REQUEST_TIMEOUT_MS = 30_000;

function argument(name) {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0 || at + 1 >= process.argv.length) {
    process.stderr.write(`usage: ts_bridge.mjs --transport streamable|sse --url URL\n`);
    process.exit(2);
  }
  return process.argv[at + 1];
}

const transportKind = argument('transport');
const url = new URL(argument('url'));
const authorization = process.env.AETHER365_AUTH ?? '';

/** Every HTTP response the SDK saw, so a rejection can be reported with its real status. */
const responses = [];
async function recordingFetch(input, init) {
  const response = await fetch(input, init);
  responses.push({
    method: init?.method ?? 'GET',
    url: String(input),
    status: response.status,
    wwwAuthenticate: response.headers.get('www-authenticate'),
  });
  return response;
}

function write(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

let client;
let negotiatedVersion;

function makeTransport() {
  const requestInit = { headers: { Authorization: authorization } };
  const transport =
    transportKind === 'sse'
      ? new SSEClientTransport(url, { requestInit, fetch: recordingFetch })
      : new StreamableHTTPClientTransport(url, { requestInit, fetch: recordingFetch });
  const setVersion = transport.setProtocolVersion?.bind(transport);
  transport.setProtocolVersion = (version) => {
    negotiatedVersion = version;
    setVersion?.(version);
  };
  return transport;
}

async function connect() {
  // MCP Apps, declared as Claude, ChatGPT and VS Code declare it.
  const capabilities = { extensions: { 'io.modelcontextprotocol/ui': { mimeTypes: ['text/html;profile=mcp-app'] } } };
  client = new Client({ name: 'aether365-tests-typescript-sdk', version: '1.0.0' }, { capabilities });
  client.fallbackNotificationHandler = async (notification) => {
    write({ jsonrpc: '2.0', method: notification.method, params: notification.params });
  };
  await client.connect(makeTransport(), { timeout: REQUEST_TIMEOUT_MS });
  return {
    protocolVersion: negotiatedVersion,
    serverInfo: client.getServerVersion(),
    capabilities: client.getServerCapabilities(),
    instructions: client.getInstructions(),
  };
}

/** Progress notifications of a call are forwarded like any other notification. */
function requestOptions(params) {
  const options = { timeout: REQUEST_TIMEOUT_MS };
  if (params?._meta?.progressToken !== undefined) {
    const progressToken = params._meta.progressToken;
    options.onprogress = (progress) =>
      write({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken, ...progress } });
    options.resetTimeoutOnProgress = true;
  }
  return options;
}

const methods = {
  initialize: () => connect(),
  ping: () => client.ping({ timeout: REQUEST_TIMEOUT_MS }),
  'tools/list': (params) => client.listTools(params, { timeout: REQUEST_TIMEOUT_MS }),
  'tools/call': (params) => client.callTool(params, undefined, requestOptions(params)),
  'resources/list': (params) => client.listResources(params, { timeout: REQUEST_TIMEOUT_MS }),
  'resources/templates/list': (params) => client.listResourceTemplates(params, { timeout: REQUEST_TIMEOUT_MS }),
  'resources/read': (params) => client.readResource(params, { timeout: REQUEST_TIMEOUT_MS }),
  'resources/subscribe': (params) => client.subscribeResource(params, { timeout: REQUEST_TIMEOUT_MS }),
  'resources/unsubscribe': (params) => client.unsubscribeResource(params, { timeout: REQUEST_TIMEOUT_MS }),
  'prompts/list': (params) => client.listPrompts(params, { timeout: REQUEST_TIMEOUT_MS }),
  'prompts/get': (params) => client.getPrompt(params, { timeout: REQUEST_TIMEOUT_MS }),
};

function errorOf(err) {
  // McpError carries a JSON-RPC code; StreamableHTTPError and SseError carry the HTTP status.
  const name = err?.constructor?.name ?? 'Error';
  const httpStatus = name === 'StreamableHTTPError' || name === 'SseError' ? err.code : undefined;
  const code = name === 'McpError' && Number.isInteger(err.code) ? err.code : -32000;
  return {
    code,
    message: `${name}: ${err?.message ?? String(err)}`,
    data: { kind: name, httpStatus, mcpData: err?.data, responses },
  };
}

async function handle(message) {
  if (message.method === undefined) return; // answers to server requests: none expected
  const handler = methods[message.method];
  if (message.id === undefined) return; // notifications/initialized: the SDK already sent it
  if (handler === undefined) {
    write({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: `bridge: no ${message.method}` } });
    return;
  }
  if (client === undefined && message.method !== 'initialize') {
    write({ jsonrpc: '2.0', id: message.id, error: { code: -32002, message: 'bridge: not initialized' } });
    return;
  }
  try {
    const result = await handler(message.params);
    write({ jsonrpc: '2.0', id: message.id, result: result ?? {} });
  } catch (err) {
    write({ jsonrpc: '2.0', id: message.id, error: errorOf(err) });
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    process.stderr.write(`bridge: not JSON: ${line}\n`);
    return;
  }
  handle(message);
});
lines.on('close', async () => {
  try {
    await client?.close();
  } finally {
    process.exit(0);
  }
});
