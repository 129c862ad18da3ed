// A minimal MCP Apps host for the browser tests. It renders one view (a `ui://` resource's HTML)
// in a sandboxed frame (scripts only: an opaque origin, no access to this page) and speaks to it
// through the host side of @modelcontextprotocol/ext-apps: its AppBridge over a PostMessageTransport.
// The MCP client connected to the server lives in the test (Node); a tools/call from the view is
// relayed to it through `window.relayToolCall`, which the test exposes with Playwright.
import { AppBridge, PostMessageTransport, RESOURCE_MIME_TYPE, getToolUiResourceUri }
  from "@modelcontextprotocol/ext-apps/app-bridge";

const HOST_INFO = { name: "aether365-test-host", version: "1" };

/** The host's theme variables (a subset of the extension's standard names). */
const THEMES = {
  light: {
    "--color-background-primary": "#ffffff",
    "--color-background-secondary": "#f6f8fa",
    "--color-text-primary": "#1f2328",
    "--color-text-secondary": "#59636e",
    "--color-border-primary": "#d1d9e0",
    "--color-text-danger": "#cf222e",
    "--color-text-success": "#1a7f37",
    "--color-text-warning": "#9a6700",
    "--color-text-info": "#0969da",
    "--font-sans": "system-ui, sans-serif",
    "--border-radius-md": "6px",
  },
  dark: {
    "--color-background-primary": "#0d1117",
    "--color-background-secondary": "#161b22",
    "--color-text-primary": "#e6edf3",
    "--color-text-secondary": "#9198a1",
    "--color-border-primary": "#3d444d",
    "--color-text-danger": "#ff7b72",
    "--color-text-success": "#3fb950",
    "--color-text-warning": "#d29922",
    "--color-text-info": "#4493f8",
    "--font-sans": "system-ui, sans-serif",
    "--border-radius-md": "6px",
  },
};

/** Every tools/call the view made through the bridge, in order. */
window.viewCalls = [];
let bridge = null;

/**
 * Renders `resource` (a resources/read content) for `tool` (its tools/list entry) called with
 * `args`, giving the view `result` (the tools/call result). Resolves once the view has
 * initialised and received the input and the result.
 */
window.mountView = async function mountView({ tool, resource, args, result, theme }) {
  if (resource.mimeType !== RESOURCE_MIME_TYPE) throw new Error("not an MCP App: " + resource.mimeType);
  if (getToolUiResourceUri(tool) !== resource.uri) throw new Error(tool.name + " does not declare " + resource.uri);
  if (bridge) await bridge.teardownResource({}).catch(() => {}).then(() => bridge.close());
  document.body.dataset.theme = theme;
  document.getElementById("tool").textContent = tool.name;
  const box = document.getElementById("conversation");
  box.textContent = "";
  const frame = document.createElement("iframe");
  frame.setAttribute("sandbox", "allow-scripts");
  frame.title = tool.name;
  box.appendChild(frame);

  bridge = new AppBridge(null, HOST_INFO, { serverTools: {}, logging: {} }, {
    hostContext: {
      toolInfo: { tool },
      theme,
      styles: { variables: THEMES[theme] },
      displayMode: "inline",
      availableDisplayModes: ["inline"],
      containerDimensions: { width: box.clientWidth, maxHeight: 4000 },
      locale: "en-GB",
      platform: "web",
    },
  });
  bridge.oncalltool = async (params) => {
    window.viewCalls.push({ name: params.name, arguments: params.arguments ?? {} });
    return window.relayToolCall(params.name, params.arguments ?? {});
  };
  bridge.onsizechange = ({ height }) => {
    if (typeof height === "number" && height > 0) frame.style.height = Math.ceil(height) + 2 + "px";
  };
  const initialized = new Promise((resolve) => { bridge.oninitialized = resolve; });
  await bridge.connect(new PostMessageTransport(frame.contentWindow, frame.contentWindow));
  frame.srcdoc = resource.text;
  await initialized;
  await bridge.sendToolInput({ arguments: args });
  await bridge.sendToolResult(result);
};

/** Tells the view the host switched theme. */
window.setTheme = async function setTheme(theme) {
  document.body.dataset.theme = theme;
  await bridge.sendHostContextChange({ theme, styles: { variables: THEMES[theme] } });
};

window.hostReady = true;
