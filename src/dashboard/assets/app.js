// The application pages: overview, findings, a finding, scans, a scan, compare, tenants,
// reports, a report, the CIS and SCuBA reports, people, alerts. Each URL is its own page (deep links work); each renders from
// the REST API under /api/v1. Filters are plain GET forms, so a filtered list is a link.
"use strict";

(function () {
  const { api, el, time, age, showError } = A365;
  const main = document.getElementById("main");
  const params = new URLSearchParams(window.location.search);
  const state = { me: null };

  const SEVERITIES = ["critical", "high", "medium", "low", "info"];
  const STATUSES = ["fail", "pass", "manual", "error", "not_applicable"];
  const SERVICES = [
    ["entra_id", "Entra ID"], ["exchange_online", "Exchange Online"], ["defender", "Defender for Office 365"],
    ["sharepoint", "SharePoint and OneDrive"], ["teams", "Teams"], ["purview", "Purview"],
    ["power_platform", "Power Platform"], ["power_bi", "Power BI and Fabric"], ["dns", "DNS"],
  ];
  const FRAMEWORKS = [["CIS", "CIS Microsoft 365"], ["SCuBA", "CISA SCuBA"], ["NIST-800-53", "NIST SP 800-53"], ["ISO-27001", "ISO/IEC 27001"]];
  const SOURCES = {
    collector: "Read live from the tenant",
    import: "Imported ScubaGear export",
    sample: "Demo sample data",
    public_dns: "Public DNS",
  };

  const serviceName = (s) => (SERVICES.find(([v]) => v === s) || [s, s])[1];
  const label = (s) => String(s).replace(/_/g, " ");
  const badge = (text, kind) => el("span", { class: "badge badge-" + (kind || text) }, label(text));
  const score = (v) => (v === null || v === undefined ? "–" : v.toFixed(1));

  function setTitle(text) {
    document.title = text + " · aether365";
  }

  function header(title, lead, crumbs) {
    const nodes = [];
    if (crumbs) {
      nodes.push(el("nav", { "aria-label": "Breadcrumb", class: "breadcrumb" },
        el("ol", {}, ...crumbs.map(([text, href], i) => el("li", { "aria-current": i === crumbs.length - 1 ? "page" : null },
          href ? el("a", { href }, text) : text)))));
    }
    nodes.push(el("h1", {}, title));
    if (lead) nodes.push(el("p", { class: "muted lead" }, lead));
    setTitle(title);
    return nodes;
  }

  function errorBox(message) {
    const box = el("p", { class: "alert alert-error", role: "alert" });
    showError(box, message);
    return box;
  }

  function table(columns, rows, empty, id) {
    return el("div", { class: "table-wrap" }, el("table", { id },
      el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { scope: "col" }, c)))),
      el("tbody", {}, ...(rows.length ? rows : [el("tr", {}, el("td", { class: "empty", colspan: columns.length }, empty))]))));
  }

  function select(name, id, options, value, allLabel) {
    const node = el("select", { name, id },
      ...(allLabel ? [el("option", { value: "" }, allLabel)] : []),
      ...options.map(([v, text]) => el("option", { value: v, selected: String(v) === String(value) ? true : null }, text)));
    return node;
  }

  function field(text, control) {
    return el("div", { class: "field" }, el("label", { for: control.id }, text), control);
  }

  function viewerNote(what) {
    return el("p", { class: "muted viewer-note" }, "Your role (viewer) may read but not " + what + "; an owner or admin can.");
  }

  async function tenants() {
    return (await api("GET", "/api/v1/tenants")).items;
  }

  // ---- Overview -------------------------------------------------------------------------

  function trendChart(canvas, points) {
    if (!window.Chart) return;
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: points.map((p) => new Date(p.finished_at).toLocaleDateString()),
        datasets: [{
          label: "Compliance score",
          data: points.map((p) => p.score),
          borderColor: "#2457c5",
          backgroundColor: "rgba(36, 87, 197, 0.12)",
          fill: true,
          tension: 0.25,
          pointRadius: 3,
        }],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { suggestedMin: 0, suggestedMax: 100, title: { display: true, text: "Score" } } },
        plugins: { legend: { display: false } },
      },
    });
  }

  function serviceChart(canvas, breakdown) {
    if (!window.Chart) return;
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: breakdown.map((b) => serviceName(b.name)),
        datasets: [
          { label: "Failing", data: breakdown.map((b) => b.fail), backgroundColor: "#d14343" },
          { label: "Passing", data: breakdown.map((b) => b.pass), backgroundColor: "#3f9c6d" },
        ],
      },
      options: {
        indexAxis: "y", responsive: true, maintainAspectRatio: false, animation: false,
        scales: { x: { stacked: true }, y: { stacked: true } },
      },
    });
  }

  function change(v) {
    if (v === null || v === undefined) return el("span", { class: "muted" }, "no earlier scan");
    const up = v > 0;
    return el("span", { class: "change " + (v === 0 ? "flat" : up ? "up" : "down") },
      (v === 0 ? "±" : up ? "▲ +" : "▼ ") + v.toFixed(1) + " since the previous scan");
  }

  // A tenant of this organisation connected to another organisation too (by a proven
  // administrator of the tenant, or by the operator): shown on the overview and tenants pages.
  async function elsewhereNotices() {
    let answer;
    try {
      answer = await api("GET", "/api/v1/tenants/notices");
    } catch (e) {
      return null;
    }
    if (!answer.items.length) return null;
    return el("div", { class: "alert alert-warning", role: "alert", id: "tenant-elsewhere" },
      el("strong", {}, "A tenant of yours was connected to another organisation. "),
      el("ul", {}, ...answer.items.map((n) => el("li", {}, time(n.at), " ", n.message))));
  }

  // "Since last scan": counts of a drift (newly failing, fixed, evidence changed).
  function driftLine(d, id) {
    return el("p", { class: "drift-line", id },
      el("strong", {}, "Since the last scan: "),
      d.newly_failing_count + " newly failing, " + d.fixed_count + " fixed, " + d.evidence_changed_count + " with changed evidence",
      d.score_change === null || d.score_change === undefined ? "" : ", score " + (d.score_change >= 0 ? "+" : "") + d.score_change.toFixed(1));
  }

  async function overview() {
    main.replaceChildren(...header("Overview", "Your tenants' security posture: the latest score, what fails, and how it changed."));
    const elsewhere = await elsewhereNotices();
    if (elsewhere) main.append(elsewhere);
    const data = await api("GET", "/api/v1/overview");
    if (!data.onboarding.available) {
      main.append(el("div", { class: "alert alert-warning", role: "status", id: "onboarding" },
        el("strong", {}, "Nothing to show yet. "), data.onboarding.reason + " ",
        el("a", { href: data.onboarding.next_step.href }, data.onboarding.next_step.label)));
    }
    for (const t of data.tenants) {
      const compliance = t.latest.find((l) => l.kind === "compliance") || t.latest[0];
      const card = el("section", { class: "card tenant-card", "aria-label": t.tenant.display_name });
      card.append(el("div", { class: "section-head" },
        el("h2", {}, t.tenant.display_name, " ", el("span", { class: "muted" }, t.tenant.primary_domain)),
        el("a", { class: "button small", href: "/findings?tenant=" + t.tenant.id + "&status=fail" }, "Failing findings")));
      if (t.data) {
        card.append(el("p", { class: "data-source" },
          el("strong", {}, SOURCES[t.data.source] || t.data.source), ", collected ",
          time(t.data.collected_at), " (" + age(t.data.collected_at) + ")",
          t.data.note ? el("span", { class: "muted" }, " · " + t.data.note) : null));
      }
      if (!compliance) {
        card.append(el("p", { class: "muted" }, "No completed scan yet. ", el("a", { href: "/scans" }, "Start one")));
        main.append(card);
        continue;
      }
      if (compliance.drift) card.append(driftLine(compliance.drift, "since-last-" + t.tenant.id));
      if (t.next_scheduled_scan) {
        card.append(el("p", { class: "muted small" }, "Next scheduled scan: ", time(t.next_scheduled_scan.at), " (" + t.next_scheduled_scan.kinds.join(" and ") + ")"));
      }
      const f = compliance.failing;
      card.append(el("div", { class: "kpis" },
        el("div", { class: "kpi" }, el("span", { class: "kpi-label" }, label(compliance.kind) + " score"),
          el("span", { class: "kpi-value score-value" }, score(compliance.score)), change(compliance.score_change)),
        ...SEVERITIES.slice(0, 4).map((s) => el("a", { class: "kpi sev sev-" + s, href: "/findings?tenant=" + t.tenant.id + "&status=fail&severity=" + s },
          el("span", { class: "kpi-label" }, s), el("span", { class: "kpi-value" }, String(f[s]))))));
      const trend = el("canvas", { id: "trend-" + t.tenant.id, role: "img", "aria-label": "Score trend of " + t.tenant.display_name });
      const services = el("canvas", { id: "services-" + t.tenant.id, role: "img", "aria-label": "Findings by service" });
      card.append(el("div", { class: "charts" },
        el("figure", { class: "chart" }, el("figcaption", {}, "Score trend (" + t.trend.length + " scans)"), el("div", { class: "chart-box" }, trend)),
        el("figure", { class: "chart" }, el("figcaption", {}, "Checks by service"), el("div", { class: "chart-box" }, services))));
      card.append(table(["Service", "Failing", "Passing", "Pass rate", "Critical", "High"],
        compliance.by_service.map((b) => el("tr", {},
          el("th", { scope: "row" }, el("a", { href: "/findings?tenant=" + t.tenant.id + "&service=" + encodeURIComponent(b.name) }, serviceName(b.name))),
          el("td", {}, String(b.fail)), el("td", {}, String(b.pass)),
          el("td", {}, b.pass_rate === null ? "–" : b.pass_rate.toFixed(0) + " %"),
          el("td", {}, String(b.failing.critical)), el("td", {}, String(b.failing.high)))), "No findings"));
      main.append(card);
      trendChart(trend, t.trend);
      serviceChart(services, compliance.by_service);
    }
    if (!data.tenants.length) main.append(el("p", { class: "muted" }, "No tenant yet: ", el("a", { href: "/tenants" }, "connect one"), "."));
  }

  // ---- Findings -------------------------------------------------------------------------

  async function findings() {
    main.replaceChildren(...header("Findings", "Every check of the latest scans, most severe first. Filter, sort, and share the link."));
    const all = await tenants();
    if (!all.length) {
      main.append(el("p", { class: "muted" }, "No tenant yet: ", el("a", { href: "/tenants" }, "connect one"), "."));
      return;
    }
    const tenant = params.get("tenant") || String(all[0].id);
    const form = el("form", { class: "filters card", method: "get", action: "/findings", id: "findings-filters" },
      field("Tenant", select("tenant", "f-tenant", all.map((t) => [t.id, t.display_name]), tenant)),
      field("Framework", select("framework", "f-framework", FRAMEWORKS, params.get("framework"), "Any framework")),
      field("Severity", select("severity", "f-severity", SEVERITIES.map((s) => [s, label(s)]), params.get("severity"), "Any severity")),
      field("Service", select("service", "f-service", SERVICES, params.get("service"), "Any service")),
      field("Status", select("status", "f-status", STATUSES.map((s) => [s, label(s)]), params.get("status"), "Any status")),
      field("Text", el("input", { id: "f-q", name: "q", type: "search", value: params.get("q") || "", placeholder: "e.g. MFA, 1.1.1" })),
      el("div", { class: "field field-action" }, el("button", { type: "submit", class: "button primary" }, "Filter")));
    if (params.get("scan")) form.append(el("input", { type: "hidden", name: "scan", value: params.get("scan") }));
    main.append(form);
    const query = new URLSearchParams();
    for (const key of ["tenant", "scan", "framework", "severity", "service", "status", "q", "sort", "offset"]) {
      const value = key === "tenant" ? tenant : params.get(key);
      if (value) query.set(key, value);
    }
    query.set("limit", "50");
    let page;
    try {
      page = await api("GET", "/api/v1/findings?" + query);
    } catch (e) {
      main.append(errorBox(e.message));
      return;
    }
    const sort = page.sort;
    const link = (changes) => {
      const next = new URLSearchParams(query);
      next.delete("limit");
      for (const [k, v] of Object.entries(changes)) (v === null ? next.delete(k) : next.set(k, v));
      return "/findings?" + next;
    };
    const sortable = (key, text) => {
      const active = sort === key || sort === "-" + key;
      const next = sort === key ? "-" + key : key;
      return el("a", { href: link({ sort: next, offset: null }), class: "sort" + (active ? " active" : ""), "aria-sort": active ? (sort.startsWith("-") ? "descending" : "ascending") : null },
        text, active ? (sort.startsWith("-") ? " ↓" : " ↑") : "");
    };
    const source = page.scans.map((s) => "scan " + s.id + " (" + s.kind + ", " + (s.finished_at ? new Date(s.finished_at).toLocaleString() : s.status) + ")").join(", ");
    const scanned = [...new Set(page.scans.map((s) => s.tenant_name))].join(", ") || "no tenant";
    main.append(el("p", { class: "muted", id: "findings-summary" }, page.total + " finding" + (page.total === 1 ? "" : "s") + " of " + scanned + " from " + (source || "no completed scan")));
    const rows = page.findings.map((f) => el("tr", {},
      el("td", {}, badge(f.severity, "sev-" + f.severity)),
      el("td", {}, badge(f.status, "st-" + f.status)),
      el("td", { class: "mono nowrap" }, f.check_id),
      el("th", { scope: "row" }, el("a", { href: "/findings/" + f.id }, f.title), el("div", { class: "muted small" }, f.message)),
      el("td", {}, serviceName(f.service)),
      el("td", { class: "refs" }, f.references.slice(0, 3).join(", "))));
    const wrap = el("div", { class: "table-wrap" }, el("table", { id: "findings-table" },
      el("thead", {}, el("tr", {},
        el("th", { scope: "col" }, sortable("severity", "Severity")), el("th", { scope: "col" }, sortable("status", "Status")),
        el("th", { scope: "col" }, sortable("check", "Check")), el("th", { scope: "col" }, sortable("title", "Title")),
        el("th", { scope: "col" }, sortable("service", "Service")), el("th", { scope: "col" }, "Frameworks"))),
      el("tbody", {}, ...(rows.length ? rows : [el("tr", {}, el("td", { class: "empty", colspan: 6 }, "No finding matches these filters"))]))));
    main.append(wrap);
    const pager = el("nav", { class: "pager", "aria-label": "Pages" });
    if (page.offset > 0) pager.append(el("a", { class: "button", href: link({ offset: String(Math.max(0, page.offset - 50)) }) }, "← Previous"));
    pager.append(el("span", { class: "muted" }, page.total ? (page.offset + 1) + "–" + (page.offset + page.findings.length) + " of " + page.total : ""));
    if (page.next_offset !== null && page.next_offset !== undefined) pager.append(el("a", { class: "button", id: "next-page", href: link({ offset: String(page.next_offset) }) }, "Next →"));
    main.append(pager);
  }

  async function finding(id) {
    const f = await api("GET", "/api/v1/findings/" + id);
    main.replaceChildren(...header(f.title, null, [["Findings", "/findings?tenant=" + f.tenant_id], [f.check_id]]));
    main.append(el("p", { class: "finding-meta" }, badge(f.severity, "sev-" + f.severity), " ", badge(f.status, "st-" + f.status), " ",
      serviceName(f.service), " · ", f.tenant_name, " · ", el("a", { href: "/scans/" + f.scan_id }, "scan " + f.scan_id), " · ",
      time(f.scan_finished_at, "not finished")));
    main.append(el("section", { class: "card" }, el("h2", {}, "Result"), el("p", { id: "finding-message" }, f.message)));
    main.append(el("section", { class: "card" }, el("h2", {}, "Why it matters"), el("p", {}, f.rationale || "–")));
    const steps = (f.remediation || "").split(/\n+/).filter((s) => s.trim());
    main.append(el("section", { class: "card", id: "remediation" }, el("h2", {}, "Remediation"),
      steps.length > 1 ? el("ol", {}, ...steps.map((s) => el("li", {}, s.replace(/^\d+[.)]\s*/, "")))) : el("p", {}, f.remediation || "–"),
      f.remediation_url ? el("p", {}, el("a", { href: f.remediation_url, rel: "noopener noreferrer", target: "_blank" }, "Microsoft's documentation ↗")) : null,
      el("p", { class: "muted small" }, "Changes are made by a person in the Microsoft 365 admin centres; aether365 never changes a tenant.")));
    const refs = Array.isArray(f.frameworks) ? f.frameworks : [];
    main.append(el("section", { class: "card" }, el("h2", {}, "Framework references"),
      table(["Framework", "Reference", "Version"], refs.map((r) => el("tr", {},
        el("td", {}, label(r.framework || "")), el("td", { class: "mono" }, r.id || r.control || JSON.stringify(r)), el("td", {}, r.version || "–"))), "No framework reference", "framework-table")));
    main.append(el("section", { class: "card" }, el("h2", {}, "Evidence"), el("pre", { tabindex: "0", id: "evidence" }, JSON.stringify(f.evidence, null, 2))));
    main.append(el("section", { class: "card" }, el("h2", {}, "History"),
      table(["Scan", "Finished", "Status"], f.history.map((h) => el("tr", {},
        el("td", {}, el("a", { href: "/findings/" + h.finding_id }, "scan " + h.scan_id)), el("td", {}, time(h.finished_at, "–")), el("td", {}, badge(h.status, "st-" + h.status)))), "No history")));
  }

  // ---- Scans ----------------------------------------------------------------------------

  /** Follows a scan's progress over SSE into `box`; resolves with the final frame. */
  function follow(scanId, box) {
    return new Promise((resolve) => {
      const bar = el("progress", { max: "1", value: "0", id: "scan-progress-bar" });
      const text = el("span", { id: "scan-progress-text" }, "Waiting for the scan to start…");
      box.replaceChildren(el("p", {}, el("strong", {}, "Scan " + scanId + ": ")), bar, text);
      box.hidden = false;
      const source = new EventSource("/api/v1/scans/" + scanId + "/events");
      source.addEventListener("progress", (message) => {
        const p = JSON.parse(message.data);
        bar.max = Math.max(p.progress_total, 1);
        bar.value = p.progress_done;
        text.textContent = " " + label(p.status) + (p.progress_total ? " · " + p.progress_done + " of " + p.progress_total : "") + (p.stage ? " · " + p.stage : "");
        box.dataset.status = p.status;
        if (["completed", "failed", "cancelled"].includes(p.status)) {
          source.close();
          text.textContent = p.status === "completed" ? " Completed: score " + score(p.score) : " " + label(p.status) + (p.error ? ": " + p.error : "");
          box.append(" ", el("a", { href: "/scans/" + scanId, id: "scan-result-link" }, "Open the scan"));
          resolve(p);
        }
      });
      source.onerror = () => {
        if (source.readyState === EventSource.CLOSED) resolve(null);
      };
    });
  }

  function scanRow(s, compareBase) {
    return el("tr", {},
      el("th", { scope: "row" }, el("a", { href: "/scans/" + s.id }, "#" + s.id)),
      el("td", {}, s.tenant_name),
      el("td", {}, label(s.kind)),
      el("td", {}, label(s.origin)),
      el("td", {}, badge(s.status, "scan-" + s.status)),
      el("td", {}, time(s.finished_at || s.started_at || s.created_at)),
      el("td", {}, score(s.score)),
      el("td", {}, String(s.failing.critical + s.failing.high)),
      el("td", { class: "actions" }, compareBase ? el("a", { class: "button small", href: "/scans/compare?base=" + compareBase + "&head=" + s.id }, "Compare with previous") : null));
  }

  async function scans() {
    main.replaceChildren(...header("Scans", "Scan history per tenant. Start a scan and watch it run; compare any two completed scans."));
    const all = await tenants();
    const canManage = state.me.user.can_manage;
    const box = el("div", { class: "alert scan-live", id: "scan-live", role: "status", hidden: true });
    const error = el("p", { class: "alert alert-error", role: "alert", hidden: true });
    if (canManage && all.length) {
      const form = el("form", { class: "inline-form card", id: "start-scan" },
        el("h2", {}, "Start a scan"),
        field("Tenant", select("tenant", "scan-tenant", all.map((t) => [t.id, t.display_name]), params.get("tenant") || all[0].id)),
        field("Kind", select("kind", "scan-kind", [["compliance", "Compliance (configuration)"], ["exposure", "Exposure (public DNS)"]], "compliance")),
        el("div", { class: "field field-action" }, el("button", { type: "submit", class: "button primary" }, "Start scan")));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        showError(error, "");
        try {
          const started = await api("POST", "/api/v1/scans", { tenant_id: Number(form.tenant.value), kind: form.kind.value });
          await follow(started.scan_id, box);
          await history();
        } catch (e) {
          showError(error, e.message);
        }
      });
      main.append(form);
    } else if (!canManage) {
      main.append(viewerNote("start scans"));
    }
    main.append(error, box);
    const tenant = params.get("tenant") || "";
    const filter = el("form", { method: "get", action: "/scans", class: "filters-inline" },
      field("Tenant", select("tenant", "history-tenant", all.map((t) => [t.id, t.display_name]), tenant, "All tenants")),
      el("button", { type: "submit", class: "button" }, "Show"));
    const compare = el("form", { method: "get", action: "/scans/compare", class: "filters-inline", id: "compare-form" });
    const holder = el("div", { id: "scan-history" });
    main.append(el("section", { class: "card" }, el("div", { class: "section-head" }, el("h2", {}, "History"), filter), compare, holder));

    async function history() {
      const query = new URLSearchParams({ limit: "50" });
      if (tenant) query.set("tenant", tenant);
      if (params.get("before")) query.set("before", params.get("before"));
      const page = await api("GET", "/api/v1/scans?" + query);
      // The previous completed scan of the same tenant and kind, for "compare with previous".
      const previous = (s, i) => page.scans.slice(i + 1).find((o) => o.tenant_id === s.tenant_id && o.kind === s.kind && o.status === "completed");
      holder.replaceChildren(table(["Scan", "Tenant", "Kind", "Origin", "Status", "When", "Score", "Critical + high", ""],
        page.scans.map((s, i) => {
          const p = s.status === "completed" ? previous(s, i) : null;
          return scanRow(s, p ? p.id : null);
        }), "No scan yet", "scans-table"));
      const completed = page.scans.filter((s) => s.status === "completed").map((s) => [s.id, "#" + s.id + " · " + s.tenant_name + " · " + s.kind + " · " + (s.finished_at ? new Date(s.finished_at).toLocaleDateString() : "")]);
      // By default: the newest completed scan and the one before it of the same tenant and kind.
      const headIndex = page.scans.findIndex((s) => s.status === "completed");
      const head = headIndex >= 0 ? page.scans[headIndex] : null;
      const base = head ? previous(head, headIndex) : null;
      compare.replaceChildren(
        field("Base (older)", select("base", "compare-base", completed, base ? base.id : "")),
        field("Head (newer)", select("head", "compare-head", completed, head ? head.id : "")),
        el("button", { type: "submit", class: "button" }, "Compare"));
      compare.hidden = completed.length < 2;
      if (page.next_before_id) {
        const older = new URLSearchParams({ before: String(page.next_before_id) });
        if (tenant) older.set("tenant", tenant);
        holder.append(el("nav", { class: "pager", "aria-label": "Pages" },
          el("a", { class: "button", id: "older-scans", href: "/scans?" + older }, "Older scans →")));
      }
    }
    await history();
  }

  async function scan(id) {
    const d = await api("GET", "/api/v1/scans/" + id);
    const s = d.scan;
    main.replaceChildren(...header("Scan #" + s.id, s.tenant_name + " · " + label(s.kind) + " · started from " + label(s.origin), [["Scans", "/scans"], ["#" + s.id]]));
    const box = el("div", { class: "alert scan-live", id: "scan-live", role: "status", hidden: true });
    main.append(box);
    if (!["completed", "failed", "cancelled"].includes(s.status)) {
      follow(s.id, box).then(() => window.location.reload());
    }
    main.append(el("div", { class: "kpis" },
      el("div", { class: "kpi" }, el("span", { class: "kpi-label" }, "Status"), el("span", { class: "kpi-value small-value" }, label(s.status))),
      el("div", { class: "kpi" }, el("span", { class: "kpi-label" }, "Score"), el("span", { class: "kpi-value" }, score(s.score)), change(d.score_change)),
      el("div", { class: "kpi" }, el("span", { class: "kpi-label" }, "Failing"), el("span", { class: "kpi-value" }, String(s.counts.fail))),
      el("div", { class: "kpi" }, el("span", { class: "kpi-label" }, "Passing"), el("span", { class: "kpi-value" }, String(s.counts.pass)))));
    if (s.input) {
      main.append(el("p", { class: "data-source" }, el("strong", {}, SOURCES[s.input.source] || s.input.source), ", collected ", time(s.input.collected_at), " (" + age(s.input.collected_at) + ")",
        s.input.note ? el("span", { class: "muted" }, " · " + s.input.note) : null));
    }
    if (s.error) main.append(errorBox(s.error));
    const actions = el("p", { class: "actions-row" },
      el("a", { class: "button", href: "/findings?tenant=" + s.tenant_id + "&scan=" + s.id }, "Findings of this scan"));
    if (d.previous_scan_id) actions.append(" ", el("a", { class: "button", href: "/scans/compare?base=" + d.previous_scan_id + "&head=" + s.id }, "Compare with previous"));
    if (s.status === "completed") {
      for (const format of ["csv", "sarif", "ocsf"]) actions.append(" ", el("a", { class: "button subtle", href: "/api/v1/scans/" + s.id + "/findings?format=" + format, download: "" }, "Download " + format.toUpperCase()));
    }
    main.append(actions);
    const breakdown = (rows, name) => table([name, "Failing", "Passing", "Pass rate"], rows.map((b) => el("tr", {},
      el("th", { scope: "row" }, name === "Service" ? serviceName(b.name) : b.name), el("td", {}, String(b.fail)), el("td", {}, String(b.pass)),
      el("td", {}, b.pass_rate === null ? "–" : b.pass_rate.toFixed(0) + " %"))), "–");
    if (d.by_service.length) main.append(el("section", { class: "card" }, el("h2", {}, "By service"), breakdown(d.by_service, "Service")));
    if (d.by_framework.length) main.append(el("section", { class: "card" }, el("h2", {}, "By framework"), breakdown(d.by_framework, "Framework")));
    if (d.drift) {
      const checks = (items) => items.map((c) => el("tr", {},
        el("td", {}, badge(c.severity, "sev-" + c.severity)), el("td", { class: "mono" }, c.check_id + (c.resource ? " · " + c.resource : "")),
        el("td", {}, serviceName(c.service)), el("td", {}, label(c.status))));
      const services = Object.entries(d.drift.score_change_by_service).map(([name, v]) => el("li", {}, serviceName(name) + ": " + (v >= 0 ? "+" : "") + v.toFixed(1)));
      main.append(el("section", { class: "card", id: "drift" }, el("h2", {}, "Since scan #" + d.drift.previous_scan_id),
        driftLine(d.drift, "drift-summary"),
        services.length ? el("ul", { class: "service-changes" }, ...services) : null,
        el("h3", {}, "Newly failing (" + d.drift.newly_failing_count + ")"), table(["Severity", "Check", "Service", "Now"], checks(d.drift.newly_failing), "None", "drift-new"),
        el("h3", {}, "Fixed (" + d.drift.fixed_count + ")"), table(["Severity", "Check", "Service", "Now"], checks(d.drift.fixed), "None", "drift-fixed"),
        el("h3", {}, "Evidence changed, same verdict (" + d.drift.evidence_changed_count + ")"), table(["Severity", "Check", "Service", "Now"], checks(d.drift.evidence_changed), "None", "drift-evidence")));
    }
    if (d.top_failing.length) {
      main.append(el("section", { class: "card" }, el("h2", {}, "Most severe failing checks"),
        table(["Severity", "Check", "Title"], d.top_failing.map((f) => el("tr", {},
          el("td", {}, badge(f.severity, "sev-" + f.severity)), el("td", { class: "mono" }, f.check_id), el("th", { scope: "row" }, el("a", { href: "/findings/" + f.id }, f.title)))), "–")));
    }
  }

  async function compare() {
    main.replaceChildren(...header("Compare scans", "What changed between two completed scans of one tenant.", [["Scans", "/scans"], ["Compare"]]));
    const query = new URLSearchParams();
    for (const key of ["tenant", "base", "head"]) if (params.get(key)) query.set(key, params.get(key));
    let c;
    try {
      c = await api("GET", "/api/v1/scans/compare?" + query);
    } catch (e) {
      main.append(errorBox(e.message), el("p", {}, el("a", { href: "/scans" }, "Pick two scans on the Scans page")));
      return;
    }
    main.append(el("p", { id: "compare-summary" }, c.tenant.display_name, ": ",
      el("a", { href: "/scans/" + c.base.id }, "scan #" + c.base.id), " (score " + score(c.base.score) + ", ", time(c.base.finished_at), ") → ",
      el("a", { href: "/scans/" + c.head.id }, "scan #" + c.head.id), " (score " + score(c.head.score) + ", ", time(c.head.finished_at), ") ", change(c.score_change)));
    main.append(el("div", { class: "kpis" },
      el("div", { class: "kpi sev-critical" }, el("span", { class: "kpi-label" }, "New failures"), el("span", { class: "kpi-value", id: "new-count" }, String(c.newly_failing.length))),
      el("div", { class: "kpi sev-ok" }, el("span", { class: "kpi-label" }, "Resolved"), el("span", { class: "kpi-value", id: "resolved-count" }, String(c.resolved.length))),
      el("div", { class: "kpi" }, el("span", { class: "kpi-label" }, "Still failing"), el("span", { class: "kpi-value" }, String(c.still_failing.length)))));
    const list = (title, id, items, empty) => el("section", { class: "card" }, el("h2", {}, title),
      table(["Severity", "Check", "Title", "Service"], items.map((f) => el("tr", {},
        el("td", {}, badge(f.severity, "sev-" + f.severity)), el("td", { class: "mono" }, f.check_id),
        el("th", { scope: "row" }, el("a", { href: "/findings/" + f.id }, f.title)), el("td", {}, serviceName(f.service)))), empty, id));
    main.append(list("New failures", "newly-failing", c.newly_failing, "No new failure"),
      list("Resolved", "resolved", c.resolved, "Nothing resolved"),
      list("Still failing", "still-failing", c.still_failing, "Nothing still failing"));
  }

  // ---- Tenants --------------------------------------------------------------------------

  async function tenantsPage() {
    main.replaceChildren(...header("Tenants", "Connected tenants are read live, read-only, at every compliance scan; others are evaluated from their newest imported ScubaGear export."));
    const canManage = state.me.user.can_manage;
    const notice = el("p", { class: "alert", role: "status", hidden: true, id: "tenant-notice" });
    main.append(notice);
    const elsewhere = await elsewhereNotices();
    if (elsewhere) main.append(elsewhere);
    const all = await tenants();
    const rows = all.map((t) => {
      const c = t.last_collection;
      const services = c && c.services.length
        ? el("ul", { class: "service-states" }, ...c.services.map((s) => el("li", { title: s.detail || "" }, badge(s.state, "svc-" + s.state), " " + serviceName(s.service))))
        : el("span", { class: "muted" }, c ? "One export, every service" : "–");
      const cells = [
        el("th", { scope: "row" }, t.display_name, el("div", { class: "muted small" }, t.primary_domain)),
        el("td", {}, t.connection === "connected" ? badge("connected", "ok") : badge("import only", "expired"),
          t.consented_at ? el("div", { class: "muted small" }, "consent ", time(t.consented_at)) : null),
        el("td", {}, c ? el("span", {}, SOURCES[c.source] || c.source, el("br", {}), time(c.collected_at), " (" + age(c.collected_at) + ")") : el("span", { class: "muted" }, "Never")),
        el("td", {}, services),
      ];
      if (canManage) {
        const file = el("input", { type: "file", accept: "application/json,.json", id: "import-file-" + t.id, "aria-label": "ScubaGear export for " + t.display_name });
        const button = el("button", { type: "button", class: "button small" }, "Import");
        button.addEventListener("click", async () => {
          if (!file.files.length) return showError(notice, "Choose a ProviderSettingsExport.json first.");
          button.disabled = true;
          try {
            const text = await file.files[0].text();
            const done = await api("POST", "/api/v1/tenants/" + t.id + "/imports", undefined, text);
            notice.className = "alert alert-success";
            notice.textContent = "Imported snapshot " + done.snapshot_id + " for " + t.display_name + ", collected " + new Date(done.collected_at).toLocaleString() + ". The next compliance scan evaluates it.";
            notice.hidden = false;
          } catch (e) {
            notice.className = "alert alert-error";
            showError(notice, e.message);
          } finally {
            button.disabled = false;
          }
        });
        cells.push(el("td", { class: "import-cell" }, file, button));
      }
      return el("tr", {}, ...cells);
    });
    const columns = ["Tenant", "Connection", "Last collection", "Per service"];
    if (canManage) columns.push("Import a ScubaGear export");
    main.append(el("section", { class: "card" }, table(columns, rows, "No tenant yet", "tenants-table")));
    if (all.length) main.append(el("section", { class: "card", id: "schedules" }, el("h2", {}, "Scheduled scans"),
      el("p", { class: "muted" }, "Each tenant's scans run on their own at the time set here (in the time zone named), or on a cron expression (minute hour day-of-month month day-of-week). A scan still running when the next one is due is not doubled: that run is skipped and the schedule says so."),
      ...(await Promise.all(all.map((t) => scheduleForm(t, canManage))))));
    if (canManage) {
      const connect = el("button", { type: "button", class: "button primary", id: "connect-tenant" }, "Connect a tenant");
      connect.addEventListener("click", async () => {
        try {
          const answer = await api("POST", "/api/v1/tenants/connect", {});
          window.location.assign(answer.consent_url);
        } catch (e) {
          notice.className = "alert alert-error";
          showError(notice, e.message);
        }
      });
      main.append(el("section", { class: "card" }, el("h2", {}, "Connect a tenant"),
        el("p", { class: "muted" }, "An administrator of the tenant (Global, Privileged Role, Cloud Application or Application Administrator) grants admin consent at Microsoft (read permissions only), then signs in at Microsoft to prove it, in this browser, and returns here."), connect));
    } else {
      main.append(viewerNote("connect tenants or import exports"));
    }
  }

  // One tenant's schedule: shown to everyone, editable by owners and admins.
  async function scheduleForm(t, canManage) {
    const url = "/api/v1/tenants/" + t.id + "/schedule";
    const s = await api("GET", url);
    const id = (name) => "schedule-" + name + "-" + t.id;
    const cadence = select("cadence", id("cadence"), [["daily", "Daily"], ["weekly", "Weekly"], ["cron", "Cron expression"]], s.cadence);
    const timeInput = el("input", { type: "time", id: id("time"), value: s.time || "03:00" });
    const weekday = select("weekday", id("weekday"), [["mon", "Monday"], ["tue", "Tuesday"], ["wed", "Wednesday"], ["thu", "Thursday"], ["fri", "Friday"], ["sat", "Saturday"], ["sun", "Sunday"]], s.weekday || "mon");
    const zone = el("input", { type: "text", id: id("zone"), value: s.time_zone, placeholder: "Europe/Paris" });
    const cron = el("input", { type: "text", id: id("cron"), value: s.cron || "", placeholder: "0 3 * * 1-5", class: "mono" });
    const compliance = el("input", { type: "checkbox", id: id("compliance"), checked: s.compliance ? true : null });
    const exposure = el("input", { type: "checkbox", id: id("exposure"), checked: s.exposure ? true : null });
    const enabled = el("input", { type: "checkbox", id: id("enabled"), checked: s.enabled ? true : null });
    const status = el("p", { class: "muted small", role: "status", id: id("status") });
    const describe = (v) => {
      status.replaceChildren(v.enabled && v.next_run_at ? el("span", {}, "Next run ", time(v.next_run_at)) : el("span", {}, v.saved ? "Paused" : "Not saved yet: the default below is proposed"),
        v.last_run_at ? el("span", {}, " · last run ", time(v.last_run_at), ": " + (v.last_outcome || "")) : "",
        v.updated_by ? el("span", {}, " · changed by " + v.updated_by) : "");
    };
    describe(s);
    const box = el("form", { class: "schedule-form", id: id("form"), "aria-label": "Schedule of " + t.display_name },
      el("h3", {}, t.display_name), status,
      el("div", { class: "filters" }, field("Cadence", cadence), field("Time", timeInput), field("Weekday", weekday), field("Time zone", zone), field("Cron", cron)),
      el("p", {}, el("label", {}, compliance, " Compliance"), " ", el("label", {}, exposure, " Exposure"), " ", el("label", {}, enabled, " On")));
    const error = el("p", { class: "alert alert-error", role: "alert", hidden: true });
    box.append(error);
    if (canManage) {
      box.append(el("button", { type: "submit", class: "button small" }, "Save schedule"));
      box.addEventListener("submit", async (event) => {
        event.preventDefault();
        error.hidden = true;
        try {
          const saved = await api("PUT", url, {
            cadence: cadence.value, time: timeInput.value, weekday: weekday.value, time_zone: zone.value.trim(),
            cron: cron.value.trim() || null, compliance: compliance.checked, exposure: exposure.checked, enabled: enabled.checked,
          });
          describe(saved);
        } catch (e) {
          showError(error, e.message);
        }
      });
    } else {
      for (const control of [cadence, timeInput, weekday, zone, cron, compliance, exposure, enabled]) control.disabled = true;
    }
    return box;
  }

  // ---- Reports --------------------------------------------------------------------------

  async function reports() {
    main.replaceChildren(...header("Reports", "Reports written by assistants and people, stored as Markdown."));
    main.append(el("p", { class: "actions" }, el("a", { class: "button", href: "/frameworks/cis", id: "cis-report-link" }, "CIS v7.0.0 report"), " ",
      el("a", { class: "button", href: "/frameworks/scuba", id: "scuba-report-link" }, "SCuBA report")));
    const list = (await api("GET", "/api/v1/reports?limit=100")).items;
    main.append(el("section", { class: "card" }, table(["Title", "Audience", "Framework", "Created", ""], list.map((r) => el("tr", {},
      el("th", { scope: "row" }, el("a", { href: "/reports/" + r.id }, r.title)), el("td", {}, label(r.audience)), el("td", {}, r.framework || "–"),
      el("td", {}, time(r.created_at)), el("td", { class: "actions" }, el("a", { class: "button small", href: "/api/v1/reports/" + r.id + "/download", download: "" }, "Download")))),
    "No report yet. Ask your assistant to write one (for example a board summary).", "reports-table")));
  }

  async function report(id) {
    const page = await api("GET", "/api/v1/reports/" + id);
    const r = page.report;
    main.replaceChildren(...header(r.title, label(r.audience) + " report" + (r.framework ? " · " + r.framework : ""), [["Reports", "/reports"], [r.title]]));
    main.append(el("p", {}, time(r.created_at), " ", el("a", { class: "button small", href: page.download_url, download: "", id: "report-download" }, "Download Markdown")));
    const body = el("article", { class: "card markdown", id: "report-body" });
    // The server renders the Markdown with raw HTML escaped and unsafe links dropped.
    body.innerHTML = page.html;
    main.append(body);
  }

  // ---- Framework reports (CIS, SCuBA) ---------------------------------------------------

  const REPORT_STATUSES = ["pass", "fail", "manual", "not_decidable", "not_applicable"];
  const CIS_PROFILES = ["E3 L1", "E3 L2", "E5 L1", "E5 L2"];

  async function frameworkReport(which) {
    const cis = which === "cis";
    const name = cis ? "CIS Microsoft 365 v7.0.0 report" : "CISA SCuBA report";
    main.replaceChildren(...header(name, cis
      ? "Every recommendation of the benchmark with its status, from the tenant's latest completed compliance scan. Profiles nest: E5 includes E3, Level 2 includes Level 1."
      : "Every policy of the SCuBA baselines with its criticality and status, from the tenant's latest completed compliance scan.",
    [["Reports", "/reports"], [name]]));
    const all = await tenants();
    if (!all.length) {
      main.append(el("p", { class: "muted" }, "No tenant yet: ", el("a", { href: "/tenants" }, "connect one"), "."));
      return;
    }
    const tenant = params.get("tenant") || String(all[0].id);
    const profile = cis ? params.get("profile") : null;
    const criticality = cis ? null : params.get("criticality");
    const status = params.get("status");
    main.append(el("form", { class: "filters card no-print", method: "get", action: "/frameworks/" + which, id: "report-filters" },
      field("Tenant", select("tenant", "r-tenant", all.map((t) => [t.id, t.display_name]), tenant)),
      cis ? field("Profile", select("profile", "r-profile", CIS_PROFILES.map((p) => [p, p]), profile, "Every profile"))
        : field("Criticality", select("criticality", "r-criticality", [["SHALL", "SHALL"], ["SHOULD", "SHOULD"]], criticality, "Any criticality")),
      field("Status", select("status", "r-status", REPORT_STATUSES.map((v) => [v, label(v)]), status, "Any status")),
      el("div", { class: "field field-action" }, el("button", { type: "submit", class: "button primary" }, "Filter"))));
    const base = "/api/v1/tenants/" + encodeURIComponent(tenant) + "/reports/" + which;
    let report;
    try {
      report = await api("GET", base);
    } catch (e) {
      main.append(errorBox(e.message));
      return;
    }
    const s = report.subject;
    const printButton = el("button", { type: "button", class: "button small", id: "report-print" }, "Print");
    printButton.addEventListener("click", () => window.print());
    main.append(el("p", { class: "report-meta" },
      "Tenant ", el("strong", {}, s.tenant_name), " (", s.primary_domain, "), scan ",
      el("a", { href: "/scans/" + s.scan_id }, String(s.scan_id)), ", configuration collected ", time(s.collected_at), "."),
    s.note ? el("p", { class: "muted" }, s.note) : "",
    el("p", { class: "no-print actions" },
      el("a", { class: "button small", id: "report-csv", href: base + "?format=csv", download: "" }, "Download CSV"), " ",
      el("a", { class: "button small", id: "report-html", href: base + "?format=html", download: "" }, "Download HTML"), " ",
      printButton));
    const keep = (r) => (!profile || (r.profiles || []).includes(profile))
      && (!criticality || r.criticality === criticality) && (!status || r.status === status);
    const totalsRow = (first, t) => el("tr", {}, el("th", { scope: "row" }, first), el("td", { class: "num" }, String(t.total)),
      ...REPORT_STATUSES.map((v) => el("td", { class: "num", "data-status": v }, String(t[v]))));
    const totals = [totalsRow("all", report.totals)];
    for (const p of report.profiles) totals.push(Object.assign(totalsRow(p.profile, p.totals), { id: "totals-" + p.profile.replace(" ", "-") }));
    for (const c of report.criticalities) totals.push(Object.assign(totalsRow(c.criticality, c.totals), { id: "totals-" + c.criticality }));
    main.append(el("section", { class: "card" }, el("h2", {}, "Totals"),
      table([cis ? "Profile" : "Criticality", "Total", ...REPORT_STATUSES.map(label)], totals, "", "report-totals")));
    let shown = 0;
    const sections = [];
    for (const g of report.groups) {
      const rows = g.rows.filter(keep);
      shown += rows.length;
      if (!rows.length) continue;
      sections.push(el("section", { class: "card report-group" }, el("h2", {}, g.id + " " + g.title),
        table([cis ? "Number" : "Policy", "Title", cis ? "Profile" : "Criticality", "Status", "Reason / what to verify", "Evidence"],
          rows.map((r) => el("tr", { "data-id": r.id, "data-status": r.status },
            el("th", { scope: "row" }, r.id), el("td", {}, r.title),
            el("td", {}, cis ? (r.profile || "") + (r.automated === false ? " (manual)" : "") : (r.criticality || "")),
            el("td", {}, badge(r.status, "rs-" + r.status)),
            el("td", {}, r.reason || ""),
            el("td", { class: "evidence" }, ...r.evidence.map((e) => el("div", {}, e.check_id + " (" + label(e.status) + "): " + e.message,
              e.evidence ? el("code", {}, " " + e.evidence) : ""))))), "", "report-group-" + g.id.replace(/\./g, "-"))));
    }
    main.append(el("p", { id: "report-shown", class: "muted" }, shown + " of " + report.totals.total + (cis ? " recommendations" : " policies") + " shown."));
    main.append(...sections);
  }

  // ---- People ---------------------------------------------------------------------------

  async function people() {
    main.replaceChildren(...header("People", "Who may sign in, and what they may do: owners and admins change things, viewers read."));
    const canManage = state.me.user.can_manage;
    const isOwner = state.me.user.role === "owner";
    const error = el("p", { class: "alert alert-error", role: "alert", hidden: true, id: "people-error" });
    const shown = el("div", { class: "new-token", role: "status", hidden: true, id: "invited" });
    const roles = isOwner ? ["owner", "admin", "viewer"] : ["admin", "viewer"];
    if (canManage) {
      const form = el("form", { class: "inline-form card", id: "invite-form" }, el("h2", {}, "Invite a person"),
        field("Email", el("input", { id: "invite-email", name: "email", type: "email", required: true, placeholder: "name@example.com" })),
        field("Role", select("role", "invite-role", roles.map((r) => [r, r]), "viewer")),
        el("div", { class: "field field-action" }, el("button", { type: "submit", class: "button primary" }, "Invite")));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        showError(error, "");
        try {
          const answer = await api("POST", "/api/v1/people", { email: form.email.value, role: form.role.value });
          shown.replaceChildren(el("p", { class: "alert alert-warning" }, el("strong", {}, answer.warning)),
            el("p", {}, answer.user.email + " signs in with: ", el("code", { id: "invited-password" }, answer.password)));
          shown.hidden = false;
          form.reset();
          await load();
        } catch (e) {
          showError(error, e.message);
        }
      });
      main.append(form);
    } else {
      main.append(viewerNote("invite people or change roles"));
    }
    main.append(error, shown);
    const holder = el("section", { class: "card" });
    main.append(holder);
    function revokedNote(email, count) {
      if (!count) return;
      shown.replaceChildren(el("p", { class: "alert alert-warning" }, count + " MCP token(s) created by " + email + " were revoked."));
      shown.hidden = false;
    }
    async function load() {
      const list = (await api("GET", "/api/v1/people")).items;
      holder.replaceChildren(table(["Email", "Role", "Since", ""], list.map((p) => {
        const self = p.id === state.me.user.id;
        const editable = canManage && !self && (isOwner || p.role !== "owner");
        let role = badge(p.role, "role");
        let actions = null;
        if (editable) {
          role = select("role", "role-" + p.id, roles.map((r) => [r, r]), p.role);
          role.setAttribute("aria-label", "Role of " + p.email);
          role.addEventListener("change", async () => {
            try {
              const changed = await api("PATCH", "/api/v1/people/" + p.id, { role: role.value });
              await load();
              revokedNote(p.email, changed.tokens_revoked);
            } catch (e) {
              showError(error, e.message);
            }
          });
          actions = el("button", { type: "button", class: "button small danger" }, "Remove");
          actions.addEventListener("click", async () => {
            if (!window.confirm("Remove " + p.email + "? Their sessions end and the MCP tokens they created are revoked at once.")) return;
            try {
              const removed = await api("DELETE", "/api/v1/people/" + p.id);
              await load();
              revokedNote(p.email, removed.tokens_revoked);
            } catch (e) {
              showError(error, e.message);
            }
          });
        }
        return el("tr", {}, el("th", { scope: "row" }, p.email, self ? el("span", { class: "muted" }, " (you)") : null),
          el("td", {}, role), el("td", {}, time(p.created_at)), el("td", { class: "actions" }, actions));
      }), "Nobody", "people-table"));
    }
    await load();
  }

  // ---- Alerts ---------------------------------------------------------------------------

  const TRIGGERS = [
    ["newly_failing", "A check newly fails (at or above a severity)"],
    ["score_drop", "The score drops by N points"],
    ["scan_failed", "A scan fails"],
    ["consent_withdrawn", "A tenant's consent is withdrawn"],
  ];

  async function alertsPage() {
    main.replaceChildren(...header("Alerts", "Tell your team where they already are when a tenant gets worse: signed webhooks, Teams, Slack, e-mail."));
    const canManage = state.me.user.can_manage;
    const error = el("p", { class: "alert alert-error", role: "alert", hidden: true, id: "alerts-error" });
    const shown = el("div", { class: "new-token", role: "status", hidden: true, id: "alert-secret" });
    const destinationsBox = el("section", { class: "card", id: "alert-destinations" });
    const rulesBox = el("section", { class: "card", id: "alert-rules" });
    const deliveriesBox = el("section", { class: "card", id: "alert-deliveries" });
    main.append(error, shown);
    if (!canManage) main.append(viewerNote("change alert destinations or rules"));

    if (canManage) {
      const kind = select("kind", "destination-kind", [["webhook", "Webhook (signed)"], ["teams", "Microsoft Teams"], ["slack", "Slack"], ["email", "E-mail (SMTP)"]], "webhook");
      const url = el("input", { id: "destination-url", name: "url", type: "url", placeholder: "https://" });
      const to = el("input", { id: "destination-to", name: "to", placeholder: "secops@example.com, …" });
      const host = el("input", { id: "smtp-host", name: "host", placeholder: "smtp.example.com" });
      const port = el("input", { id: "smtp-port", name: "port", type: "number", value: "587", min: "1", max: "65535" });
      const security = select("security", "smtp-security", [["starttls", "STARTTLS"], ["tls", "TLS"]], "starttls");
      const user = el("input", { id: "smtp-user", name: "username", autocomplete: "off" });
      const password = el("input", { id: "smtp-password", name: "password", type: "password", autocomplete: "new-password" });
      const from = el("input", { id: "smtp-from", name: "from", type: "email", placeholder: "aether365@example.com" });
      const webFields = el("div", {}, field("URL", url));
      const mailFields = el("div", { hidden: true }, field("Recipients", to), field("SMTP host", host), field("Port", port),
        field("Security", security), field("User name", user), field("Password", password), field("From", from));
      kind.addEventListener("change", () => {
        const mail = kind.value === "email";
        mailFields.hidden = !mail;
        webFields.hidden = mail;
      });
      const name = el("input", { id: "destination-name", name: "name", required: true, maxlength: "100" });
      const form = el("form", { class: "inline-form card", id: "destination-form" }, el("h2", {}, "Add a destination"),
        field("Name", name), field("Kind", kind), webFields, mailFields,
        el("div", { class: "field field-action" }, el("button", { type: "submit", class: "button primary" }, "Add")));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        showError(error, "");
        const body = { name: name.value, kind: kind.value };
        if (kind.value === "email") {
          body.to = to.value.split(",").map((s) => s.trim()).filter(Boolean);
          body.smtp = { host: host.value, port: Number(port.value), security: security.value, username: user.value || null, from: from.value };
          if (password.value) body.smtp_password = password.value;
        } else {
          body.url = url.value;
        }
        try {
          const created = await api("POST", "/api/v1/alerts/destinations", body);
          if (created.signing_secret) {
            shown.replaceChildren(el("p", { class: "alert alert-warning" }, el("strong", {}, "Copy the signing secret now: it is shown once.")),
              el("p", {}, "Verify X-Aether365-Signature with: ", el("code", { id: "signing-secret" }, created.signing_secret)));
            shown.hidden = false;
          }
          form.reset();
          await load();
        } catch (e) {
          showError(error, e.message);
        }
      });
      main.append(form);
    }
    main.append(destinationsBox);
    let ruleForm = null;
    if (canManage) {
      ruleForm = el("form", { class: "inline-form card", id: "rule-form" });
      main.append(ruleForm);
    }
    main.append(rulesBox, deliveriesBox);

    // The rule being edited (its form answers PUT instead of POST), or null.
    let editing = null;

    function ruleControls(destinations) {
      if (!ruleForm) return;
      const name = el("input", { id: "rule-name", name: "name", required: true, maxlength: "100" });
      const trigger = select("trigger", "rule-trigger", TRIGGERS, "newly_failing");
      const severity = select("min_severity", "rule-severity", SEVERITIES.map((s) => [s, s]), "high");
      const drop = el("input", { id: "rule-drop", name: "score_drop", type: "number", value: "5", min: "0.1", max: "100", step: "0.1" });
      const targets = el("select", { id: "rule-destinations", name: "destinations", multiple: true, required: true },
        ...destinations.map((d) => el("option", { value: String(d.id) }, d.name + " (" + d.kind + ")")));
      const cancel = el("button", { type: "button", class: "button", id: "rule-cancel" }, "Cancel");
      cancel.addEventListener("click", () => { editing = null; ruleControls(destinations); });
      if (editing) {
        name.value = editing.name;
        trigger.value = editing.trigger;
        if (editing.min_severity) severity.value = editing.min_severity;
        if (editing.score_drop != null) drop.value = String(editing.score_drop);
        for (const o of targets.options) o.selected = editing.destination_ids.includes(Number(o.value));
      }
      ruleForm.replaceChildren(el("h2", {}, editing ? "Edit rule " + editing.name : "Add a rule"), field("Name", name), field("When", trigger),
        field("Lowest severity", severity), field("Points", drop), field("Send to", targets),
        el("div", { class: "field field-action" }, el("button", { type: "submit", class: "button primary", disabled: destinations.length ? null : true }, editing ? "Save" : "Add"),
          editing ? " " : null, editing ? cancel : null));
      ruleForm.onsubmit = async (event) => {
        event.preventDefault();
        showError(error, "");
        const body = { name: name.value, trigger: trigger.value, destination_ids: [...targets.selectedOptions].map((o) => Number(o.value)) };
        if (trigger.value === "newly_failing") body.min_severity = severity.value;
        if (trigger.value === "score_drop") body.score_drop = Number(drop.value);
        try {
          if (editing) {
            body.enabled = editing.enabled;
            await api("PUT", "/api/v1/alerts/rules/" + editing.id, body);
            editing = null;
          } else {
            await api("POST", "/api/v1/alerts/rules", body);
          }
          await load();
        } catch (e) {
          showError(error, e.message);
        }
      };
    }

    function removeButton(path, what, id) {
      const b = el("button", { type: "button", class: "button small danger", id }, "Delete");
      b.addEventListener("click", async () => {
        if (!window.confirm("Delete " + what + "?")) return;
        try {
          await api("DELETE", path);
          await load();
        } catch (e) {
          showError(error, e.message);
        }
      });
      return b;
    }

    /** Pause or resume, edit, delete: the rule's buttons for owners and admins. */
    function ruleActions(r, destinations) {
      const toggle = el("button", { type: "button", class: "button small", id: "toggle-rule-" + r.id }, r.enabled ? "Pause" : "Resume");
      toggle.addEventListener("click", async () => {
        showError(error, "");
        const body = { name: r.name, trigger: r.trigger, destination_ids: r.destination_ids, enabled: !r.enabled };
        if (r.min_severity) body.min_severity = r.min_severity;
        if (r.score_drop != null) body.score_drop = r.score_drop;
        try {
          await api("PUT", "/api/v1/alerts/rules/" + r.id, body);
          await load();
        } catch (e) {
          showError(error, e.message);
        }
      });
      const edit = el("button", { type: "button", class: "button small", id: "edit-rule-" + r.id }, "Edit");
      edit.addEventListener("click", () => {
        editing = r;
        ruleControls(destinations);
        ruleForm.scrollIntoView();
        document.getElementById("rule-name")?.focus();
      });
      return el("span", {}, toggle, " ", edit, " ", removeButton("/api/v1/alerts/rules/" + r.id, r.name, "delete-rule-" + r.id));
    }

    async function load() {
      const [destinations, rules, deliveries] = await Promise.all([
        api("GET", "/api/v1/alerts/destinations"), api("GET", "/api/v1/alerts/rules"), api("GET", "/api/v1/alerts/deliveries")]);
      const names = new Map(destinations.map((d) => [d.id, d.name]));
      destinationsBox.replaceChildren(el("h2", {}, "Destinations"), table(["Name", "Kind", "Target", "Added", ""], destinations.map((d) => {
        let actions = null;
        if (canManage) {
          const test = el("button", { type: "button", class: "button small", id: "test-" + d.id }, "Send test");
          test.addEventListener("click", async () => {
            showError(error, "");
            try {
              const sent = await api("POST", "/api/v1/alerts/destinations/" + d.id + "/test", {});
              if (sent.status !== "delivered") showError(error, "Test to " + d.name + " failed: " + (sent.last_error || sent.status));
              await load();
            } catch (e) {
              showError(error, e.message);
            }
          });
          actions = el("span", {}, test, " ", removeButton("/api/v1/alerts/destinations/" + d.id, d.name, "delete-destination-" + d.id));
        }
        return el("tr", {}, el("th", { scope: "row" }, d.name), el("td", {}, label(d.kind)), el("td", {}, el("code", {}, d.target)),
          el("td", {}, time(d.created_at)), el("td", { class: "actions" }, actions));
      }), "No destination yet.", "destinations-table"));
      ruleControls(destinations);
      rulesBox.replaceChildren(el("h2", {}, "Rules"), table(["Name", "When", "Send to", "On", ""], rules.map((r) => {
        const when = r.trigger === "newly_failing" ? "a check newly fails, " + r.min_severity + " or above"
          : r.trigger === "score_drop" ? "the score drops by " + r.score_drop + " points or more" : label(r.trigger);
        return el("tr", {}, el("th", { scope: "row" }, r.name), el("td", {}, when),
          el("td", {}, r.destination_ids.map((id) => names.get(id) || "#" + id).join(", ")), el("td", {}, r.enabled ? "yes" : "paused"),
          el("td", { class: "actions" }, canManage ? ruleActions(r, destinations) : null));
      }), "No rule yet.", "rules-table"));
      deliveriesBox.replaceChildren(el("h2", {}, "Recent deliveries"), table(["Alert", "To", "Status", "Attempts", "Last error", "Created"], deliveries.items.map((d) =>
        el("tr", {}, el("th", { scope: "row" }, d.scan_id ? el("a", { href: "/scans/" + d.scan_id }, d.title) : d.title),
          el("td", {}, names.get(d.destination_id) || "#" + d.destination_id), el("td", {}, badge(d.status, "delivery")),
          el("td", {}, String(d.attempts)), el("td", {}, d.last_error || "–"), el("td", {}, time(d.created_at)))),
      "Nothing sent yet.", "deliveries-table"));
    }
    await load();
  }

  // ---- Router ---------------------------------------------------------------------------

  const ROUTES = [
    [/^\/overview$/, overview],
    [/^\/findings$/, findings],
    [/^\/findings\/(\d+)$/, finding],
    [/^\/scans$/, scans],
    [/^\/scans\/compare$/, compare],
    [/^\/scans\/(\d+)$/, scan],
    [/^\/tenants$/, tenantsPage],
    [/^\/reports$/, reports],
    [/^\/reports\/(\d+)$/, report],
    [/^\/frameworks\/(cis|scuba)$/, frameworkReport],
    [/^\/people$/, people],
    [/^\/alerts$/, alertsPage],
  ];

  async function start() {
    document.getElementById("logout").addEventListener("click", async () => {
      try {
        await api("DELETE", "/api/v1/session");
      } finally {
        window.location.assign("/login");
      }
    });
    try {
      state.me = await api("GET", "/api/v1/me");
      document.getElementById("account-name").textContent = state.me.user.email + " · " + state.me.organisation.name + " (" + state.me.user.role + ")";
      const path = window.location.pathname.replace(/\/+$/, "");
      const route = ROUTES.find(([pattern]) => pattern.test(path));
      if (!route) throw new Error("No such page.");
      await route[1](...path.match(route[0]).slice(1));
      document.body.dataset.ready = "true";
    } catch (e) {
      main.append(errorBox(e.message));
      document.body.dataset.ready = "error";
    } finally {
      const loading = document.getElementById("loading");
      if (loading) loading.remove();
    }
  }

  start();
})();
