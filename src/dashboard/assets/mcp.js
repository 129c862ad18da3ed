// Settings > MCP: server URLs, client configurations, tokens, pre-registered OAuth clients and
// the audit trail.
"use strict";

(function () {
  const { api, el, time, wireCopyButtons, showError } = A365;
  const $ = (id) => document.getElementById(id);
  const pretty = (value) => JSON.stringify(value, null, 2);
  const state = { me: null, tenants: [], tokens: [], auditBefore: null };

  function fail(e) {
    showError($("page-error"), e.message);
  }

  async function loadMe() {
    state.me = await api("GET", "/api/v1/me");
    $("account-name").textContent = state.me.user.email + " · " + state.me.organisation.name + " (" + state.me.user.role + ")";
    const canManage = state.me.user.can_manage;
    $("create-token").hidden = !canManage;
    $("create-oauth-client").hidden = !canManage;
    $("connect-tenant").hidden = !canManage;
    $("viewer-note").hidden = canManage;
  }

  async function loadSettings() {
    const settings = await api("GET", "/api/v1/mcp/settings");
    const onboarding = settings.onboarding;
    // Before onboarding an assistant would read nothing: say so, and what to do next.
    $("not-available").hidden = onboarding.available;
    if (!onboarding.available) {
      $("not-available-reason").textContent = onboarding.reason;
      $("not-available-next").textContent = onboarding.next_step.label;
      $("not-available-next").href = onboarding.next_step.href;
    }
    const shown = (value) => onboarding.available ? value : "Not available";
    $("server-url").textContent = shown(settings.server_url);
    $("mcp-url").textContent = shown(settings.mcp_url);
    $("sse-url").textContent = shown(settings.sse_url);
    for (const button of document.querySelectorAll(".urls button.copy")) button.hidden = !onboarding.available;
    $("claude-config").textContent = pretty(settings.claude_desktop);
    $("cursor-config").textContent = pretty(settings.cursor);
  }

  async function loadTenants() {
    state.tenants = (await api("GET", "/api/v1/tenants")).items;
    const select = $("token-tenants");
    select.replaceChildren(...state.tenants.map((t) =>
      el("option", { value: t.id, title: t.primary_domain }, t.display_name)));
    select.size = Math.min(Math.max(state.tenants.length, 2), 6);
    $("tenant-rows").replaceChildren(...state.tenants.map((t) => el("tr", {},
      el("td", {}, t.display_name),
      el("td", {}, t.primary_domain),
      el("td", {}, el("code", {}, t.microsoft_tenant_id)),
      el("td", {}, t.live_collection
        ? "Live collection (consent " + time(t.consented_at) + ")"
        : "Imported exports only"))));
  }

  async function connectTenant() {
    const answer = await api("POST", "/api/v1/tenants/connect", {});
    window.location.assign(answer.consent_url);
  }

  function showConnectResult() {
    const params = new URLSearchParams(window.location.search);
    const box = $("connect-result");
    if (params.has("connected")) {
      box.textContent = "Tenant connected: its next compliance scan reads it live.";
      box.className = "alert alert-success";
      box.hidden = false;
    } else if (params.has("connect_error")) {
      box.textContent = "The tenant was not connected: " + params.get("connect_error");
      box.className = "alert alert-error";
      box.hidden = false;
    }
  }

  function tenantNames(tenants) {
    if (tenants === "all") return "All tenants";
    return tenants.map((id) => {
      const tenant = state.tenants.find((t) => t.id === id);
      return tenant ? tenant.display_name : "#" + id;
    }).join(", ");
  }

  const STATUS_LABELS = { active: "Active", expired: "Expired", revoked: "Revoked" };

  function tokenRow(token) {
    const canRevoke = state.me.user.can_manage_tokens && token.status !== "revoked";
    const revoke = canRevoke
      ? el("button", { type: "button", class: "button small danger", "aria-label": "Revoke token " + token.label,
          onclick: () => revokeToken(token) }, "Revoke")
      : null;
    return el("tr", { class: token.status === "active" ? "" : "inactive" },
      el("th", { scope: "row" }, token.label),
      el("td", {}, el("code", {}, token.prefix + "_…")),
      el("td", { class: token.tenants === "all" ? "nowrap" : "" }, tenantNames(token.tenants)),
      el("td", {}, time(token.created_at, "")),
      el("td", { class: "nowrap" }, time(token.last_used_at, "Never used")),
      el("td", {}, time(token.expires_at, "Never")),
      el("td", {}, el("span", { class: "badge badge-" + token.status }, STATUS_LABELS[token.status] || token.status)),
      el("td", { class: "actions" }, revoke));
  }

  async function loadTokens() {
    state.tokens = (await api("GET", "/api/v1/tokens")).items;
    const body = $("tokens-table").tBodies[0];
    if (state.tokens.length === 0) {
      body.replaceChildren(el("tr", {}, el("td", { colspan: 8, class: "empty" }, "No tokens yet.")));
    } else {
      body.replaceChildren(...state.tokens.map(tokenRow));
    }
    const filter = $("audit-token");
    const selected = filter.value;
    filter.replaceChildren(el("option", { value: "" }, "All activity"),
      ...state.tokens.map((t) => el("option", { value: t.id }, t.label + " (" + t.prefix + ")")));
    filter.value = state.tokens.some((t) => String(t.id) === selected) ? selected : "";
  }

  async function revokeToken(token) {
    const sure = window.confirm("Revoke the token “" + token.label + "”?\n\nClients using it are disconnected at once. This cannot be undone.");
    if (!sure) return;
    try {
      await api("DELETE", "/api/v1/tokens/" + encodeURIComponent(token.id));
      await Promise.all([loadTokens(), loadAudit(true)]);
    } catch (e) {
      fail(e);
    }
  }

  async function createToken(event) {
    event.preventDefault();
    const form = event.currentTarget;
    showError($("create-error"), "");
    const tenants = Array.from($("token-tenants").selectedOptions, (o) => Number(o.value));
    const body = { label: form.label.value.trim(), expires: form.expires.value };
    if (tenants.length > 0) body.tenants = tenants;
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const created = await api("POST", "/api/v1/tokens", body);
      $("new-token-value").value = created.token;
      $("new-claude-config").textContent = pretty(created.claude_desktop);
      $("new-cursor-config").textContent = pretty(created.cursor);
      $("new-token").hidden = false;
      $("new-token-value").focus();
      $("new-token-value").select();
      form.reset();
      await Promise.all([loadTokens(), loadAudit(true)]);
    } catch (e) {
      showError($("create-error"), e.message);
    } finally {
      button.disabled = false;
    }
  }

  function oauthClientRow(client) {
    const remove = state.me.user.can_manage
      ? el("button", { type: "button", class: "button small danger", "aria-label": "Delete OAuth client " + client.client_name,
          onclick: () => deleteOAuthClient(client) }, "Delete")
      : null;
    return el("tr", {},
      el("th", { scope: "row" }, client.client_name),
      el("td", {}, el("code", {}, client.client_id), " ",
        el("button", { type: "button", class: "button small", onclick: (event) => A365.copy(client.client_id, event.currentTarget) }, "Copy")),
      el("td", {}, ...client.redirect_uris.map((u) => el("div", {}, el("code", {}, u)))),
      el("td", {}, time(client.created_at, "")),
      el("td", { class: "actions" }, remove));
  }

  async function loadOAuthClients() {
    const clients = (await api("GET", "/api/v1/oauth/clients")).items;
    const body = $("oauth-clients-table").tBodies[0];
    body.replaceChildren(...(clients.length
      ? clients.map(oauthClientRow)
      : [el("tr", {}, el("td", { colspan: 5, class: "empty" }, "No pre-registered clients."))]));
  }

  async function createOAuthClient(event) {
    event.preventDefault();
    const form = event.currentTarget;
    showError($("oauth-client-error"), "");
    $("oauth-client-created").hidden = true;
    const body = {
      client_name: form.client_name.value.trim(),
      redirect_uris: form.redirect_uris.value.split("\n").map((u) => u.trim()).filter((u) => u),
    };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const created = await api("POST", "/api/v1/oauth/clients", body);
      $("oauth-client-created").textContent = "Registered “" + created.client_name + "”: its client ID is " + created.client_id + ".";
      $("oauth-client-created").hidden = false;
      form.reset();
      await Promise.all([loadOAuthClients(), loadAudit(true)]);
    } catch (e) {
      showError($("oauth-client-error"), e.message);
    } finally {
      button.disabled = false;
    }
  }

  async function deleteOAuthClient(client) {
    const sure = window.confirm("Delete the OAuth client “" + client.client_name + "”?\n\nEvery connection it has is revoked at once. This cannot be undone.");
    if (!sure) return;
    try {
      await api("DELETE", "/api/v1/oauth/clients/" + encodeURIComponent(client.client_id));
      await Promise.all([loadOAuthClients(), loadTokens(), loadAudit(true)]);
    } catch (e) {
      fail(e);
    }
  }

  function hideNewToken() {
    $("new-token-value").value = "";
    $("new-claude-config").textContent = "";
    $("new-cursor-config").textContent = "";
    $("new-token").hidden = true;
  }

  function actorText(row) {
    if (row.actor_kind === "token") return "Token " + (row.actor_label || "#" + row.actor_id);
    if (row.actor_kind === "user") return row.actor_label || "User #" + row.actor_id;
    return row.actor_kind;
  }

  function auditRow(row) {
    return el("tr", {},
      el("td", {}, time(row.at, "")),
      el("td", {}, actorText(row)),
      el("td", {}, el("code", {}, row.action)),
      el("td", {}, row.tool || ""),
      el("td", {}, el("span", { class: "badge badge-" + row.outcome }, row.outcome)),
      el("td", {}, row.client_addr || ""),
      el("td", { class: "detail" }, row.detail || ""));
  }

  async function loadAudit(reset) {
    if (reset) state.auditBefore = null;
    const params = new URLSearchParams({ limit: "50" });
    const token = $("audit-token").value;
    if (token) params.set("token", token);
    if (state.auditBefore) params.set("before", state.auditBefore);
    const page = await api("GET", "/api/v1/audit?" + params.toString());
    const body = $("audit-table").tBodies[0];
    const rows = page.items.map(auditRow);
    if (reset) {
      body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 7, class: "empty" }, "No activity yet."))]));
    } else {
      body.append(...rows);
    }
    state.auditBefore = page.next_before;
    $("audit-more").hidden = !page.next_before;
  }

  async function logout() {
    try {
      await api("DELETE", "/api/v1/session");
    } finally {
      window.location.assign("/login");
    }
  }

  wireCopyButtons(document.body);
  $("create-token").addEventListener("submit", createToken);
  $("new-token-done").addEventListener("click", hideNewToken);
  $("create-oauth-client").addEventListener("submit", createOAuthClient);
  $("audit-token").addEventListener("change", () => loadAudit(true).catch(fail));
  $("audit-more").addEventListener("click", () => loadAudit(false).catch(fail));
  $("logout").addEventListener("click", logout);
  $("connect-tenant").addEventListener("click", () => connectTenant().catch(fail));
  showConnectResult();

  (async function start() {
    try {
      await loadMe();
      await Promise.all([loadSettings(), loadTenants()]);
      await Promise.all([loadTokens(), loadOAuthClients()]);
      await loadAudit(true);
    } catch (e) {
      fail(e);
    }
  })();
})();
