// The findings table (list_findings) and a finding's detail (get_finding).
(function () {
  const rows = document.getElementById("rows");
  const head = document.getElementById("head");
  const detail = document.getElementById("detail");
  const count = document.getElementById("count");
  const next = document.getElementById("next");
  const filter = document.getElementById("filter");
  const severity = document.getElementById("severity");
  const COLUMNS = [
    ["severity", "Severity", "nowrap"], ["status", "Status", "wide"], ["check_id", "Check", "nowrap"],
    ["title", "Title", ""], ["service", "Service", "wide"], ["tenant_name", "Tenant", "wide"],
  ];
  let args = {};
  let page = { findings: [], total: 0, offset: 0, next_cursor: null };
  let sortKey = "severity";
  let ascending = true;
  const host = connectHost(["list_findings", "get_finding"], {
    input: (a) => { args = a; },
    result: (result) => {
      const data = result.structuredContent;
      if (data && Array.isArray(data.findings)) { page = data; table(); }
      else if (data && typeof data.check_id === "string") finding(data);
      else show(detail, h("p", { class: "muted" }, textOf(result) || "No findings data."));
    },
  });

  show(head, COLUMNS.map(([key, label, cls]) => {
    const button = h("button", { type: "button" }, label);
    button.addEventListener("click", () => {
      ascending = sortKey === key ? !ascending : true;
      sortKey = key;
      table();
    });
    return h("th", { class: cls }, button);
  }));
  filter.addEventListener("input", table);
  severity.addEventListener("change", table);
  next.addEventListener("click", () => {
    if (!page.next_cursor) return;
    next.setAttribute("disabled", "");
    host.callTool("list_findings", Object.assign({}, args, { cursor: page.next_cursor }))
      .then((data) => { page = data; table(); }, failed)
      .then(() => next.removeAttribute("disabled"));
  });

  function sortValue(f, key) {
    return key === "severity" ? SEVERITIES.indexOf(f.severity) : String(f[key]).toLowerCase();
  }

  function table() {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    const wanted = severity.value;
    const shown = page.findings.filter((f) => (!wanted || f.severity === wanted) && words.every((w) =>
      [f.check_id, f.title, f.service, f.tenant_name, f.message].join(" ").toLowerCase().indexOf(w) >= 0));
    shown.sort((a, b) => {
      const x = sortValue(a, sortKey), y = sortValue(b, sortKey);
      return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
    });
    show(rows, shown.map((f) => {
      const row = h("tr", { class: "click", tabindex: 0 }, COLUMNS.map(([key, , cls]) =>
        h("td", { class: (cls + (key === "severity" ? " sev-" + f.severity : "")).trim() }, String(f[key]))));
      const open = () => host.callTool("get_finding", { finding_id: f.id }).then(finding, failed);
      row.addEventListener("click", open);
      row.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
      return row;
    }));
    const first = page.findings.length ? page.offset + 1 : 0;
    count.textContent = first + "–" + (page.offset + page.findings.length) + " of " + page.total +
      (shown.length !== page.findings.length ? " (" + shown.length + " shown)" : "");
    if (page.next_cursor) next.removeAttribute("hidden"); else next.setAttribute("hidden", "");
  }

  function finding(f) {
    show(detail,
      h("h2", {}, f.check_id + ": " + f.title),
      h("div", { class: "row" }, h("span", { class: "sev-" + f.severity }, f.severity),
        h("span", {}, f.status), h("span", { class: "muted" }, f.service + " · " + f.tenant_name)),
      h("p", {}, f.message),
      Array.isArray(f.subjects) && f.subjects.length ? [h("div", { class: "muted" }, "About (tenant data):"),
        h("ul", {}, f.subjects.map((x) => h("li", {}, x)))] : null,
      h("h2", {}, "Evidence"),
      h("pre", {}, JSON.stringify(f.evidence, null, 2)),
      f.rationale ? [h("h2", {}, "Why it matters"), h("p", {}, f.rationale)] : null,
      h("h2", {}, "Remediation (for a person to apply in Microsoft 365)"),
      h("pre", {}, f.remediation || "None recorded."),
      f.remediation_url ? h("div", { class: "muted" }, "Guidance: " + f.remediation_url) : null,
      h("h2", {}, "Framework references"),
      h("ul", {}, references(f).map((r) => h("li", {}, r))));
  }

  /** The framework references as lines: `references` when given, else each framework entry. */
  function references(f) {
    if (Array.isArray(f.references) && f.references.length) return f.references.map(String);
    const entries = Array.isArray(f.frameworks) ? f.frameworks : [];
    return entries.filter((e) => e && typeof e === "object").map((e) =>
      [e.framework, e.id, e.version ? "(" + e.version + ")" : ""].filter(Boolean).join(" "));
  }

  function failed(error) {
    show(detail, h("p", { class: "error" }, error.message));
  }
})();
