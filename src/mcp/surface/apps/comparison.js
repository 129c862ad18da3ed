// The comparison of two scans, from compare_scans's structured result, or from the result of the
// tool that starts a scan (its scan_id, or the finished task's scan): the view follows that scan
// with get_scan and, once it completed, compares it with the previous one (compare_scans). It
// only reads: it never starts a scan.
(function () {
  const view = document.getElementById("view");
  const picker = document.getElementById("picker");
  const scans = new Map();
  let comparisons = [];
  const host = connectHost(["compare_scans", "get_scan"], { result: render });

  let following = 0;

  function render(result) {
    const data = result.structuredContent || {};
    following++;
    const started = startedScan(data);
    if (started !== null) {
      follow(started, following, 0);
      return;
    }
    comparisons = Array.isArray(data.comparisons) ? data.comparisons : data.base ? [data] : [];
    if (comparisons.length === 0) {
      show(view, h("p", { class: "muted" }, textOf(result) || "Nothing to compare."));
      return;
    }
    if (comparisons.length > 1) {
      const select = h("select", { "aria-label": "Tenant" }, comparisons.map((c, i) =>
        h("option", { value: i }, c.tenant.display_name + " (" + c.tenant.primary_domain + ")")));
      select.addEventListener("change", () => comparison(Number(select.value)));
      show(picker, select);
    } else {
      show(picker);
    }
    comparison(0);
  }

  /** The scan a started scan's result names (`scan_id`, or a finished task's scan), else null. */
  function startedScan(data) {
    if (data.base || Array.isArray(data.comparisons)) return null;
    if (Number.isInteger(data.scan_id)) return data.scan_id;
    if (Number.isInteger(data.id) && typeof data.status === "string") return data.id;
    return null;
  }

  /** Polls get_scan (every 2 s, at most 15 minutes) until the scan ends; then compares. */
  function follow(id, generation, attempt) {
    if (generation !== following) return;
    detail(id, true).then((d) => {
      if (generation !== following) return;
      const sv = d.scan || {};
      if (sv.status === "completed") {
        show(view, h("p", { class: "muted" }, "Scan #" + id + " completed; comparing it with the previous one…"));
        host.callTool("compare_scans", { head_scan: id }).then((c) => {
          if (generation === following) render({ structuredContent: c });
        }, failed);
      } else if (sv.status === "queued" || sv.status === "running") {
        const progress = sv.progress_total ? " (" + sv.progress_done + "/" + sv.progress_total + " checks)" : "";
        show(view, h("p", { class: "muted" }, "Scan #" + id + " is " + sv.status + progress + "…"));
        if (attempt < 450) setTimeout(() => follow(id, generation, attempt + 1), 2000);
      } else {
        show(view, h("p", { class: "error" }, "Scan #" + id + " " + (sv.status || "is unknown") +
          (sv.error ? ": " + sv.error : "") + "."));
      }
    }, failed);
  }

  function failed(error) {
    show(view, h("p", { class: "error" }, error.message));
  }

  function list(title, findings) {
    return [h("h2", {}, title + " (" + findings.length + ")"),
      findings.length === 0 ? h("p", { class: "muted" }, "None.") : h("div", { class: "scroll" },
        h("table", {}, h("tbody", {}, findings.map((f) => h("tr", {},
          h("td", { class: "nowrap sev-" + f.severity }, f.severity), h("td", { class: "nowrap" }, f.check_id),
          h("td", {}, f.title), h("td", { class: "wide" }, service(f.service)))))))];
  }

  function comparison(index) {
    const c = comparisons[index];
    if (!c) return;
    const services = h("div", { class: "scroll" }, serviceTable(c, null, null));
    show(view,
      h("h2", {}, c.tenant.display_name),
      h("div", { class: "muted" }, "Scan #" + c.base.id + " (" + age(c.base.finished_at) + ") → scan #" +
        c.head.id + " (" + age(c.head.finished_at) + ")"),
      h("div", { class: "cards" },
        h("div", { class: "card" }, h("div", { class: "muted" }, "Score"),
          h("div", { class: "mid score" }, score(c.base.score) + " → " + score(c.head.score))),
        h("div", { class: "card" }, h("div", { class: "muted" }, "Change"), h("div", { class: "big" }, change(c.score_change))),
        h("div", { class: "card" }, h("div", { class: "muted" }, "Newly failing"), h("div", { class: "big down" }, String(c.newly_failing.length))),
        h("div", { class: "card" }, h("div", { class: "muted" }, "Fixed"), h("div", { class: "big up" }, String(c.resolved.length)))),
      h("h2", {}, "By service"), services,
      list("Newly failing", c.newly_failing),
      list("Fixed", c.resolved));
    Promise.all([detail(c.base.id), detail(c.head.id)])
      .then(([base, head]) => show(services, serviceTable(c, base, head)), () => {});
  }

  /** get_scan of a completed scan, asked once; `fresh` asks again (a scan still running). */
  function detail(id, fresh) {
    if (fresh || !scans.has(id)) scans.set(id, host.callTool("get_scan", { scan: id }));
    return scans.get(id);
  }

  /** A service's name for reading: words, not an identifier. */
  function service(name) {
    return String(name).replace(/_/g, " ");
  }

  function rates(d) {
    const out = new Map();
    for (const b of (d && d.by_service) || []) out.set(b.name, b.pass_rate);
    return out;
  }

  function serviceTable(c, base, head) {
    const before = rates(base), after = rates(head);
    const names = new Set([...before.keys(), ...after.keys()]);
    for (const f of c.newly_failing.concat(c.resolved)) names.add(f.service);
    const pct = (v) => typeof v === "number" ? v.toFixed(0) + "%" : "–";
    return h("table", {},
      h("thead", {}, h("tr", {}, h("th", {}, "Service"), h("th", {}, "Pass rate"), h("th", {}, "Change"),
        h("th", {}, "New"), h("th", {}, "Fixed"))),
      h("tbody", {}, [...names].sort().map((name) => {
        const b = before.get(name), a = after.get(name);
        return h("tr", {}, h("td", {}, service(name)), h("td", { class: "nowrap" }, pct(b) + " → " + pct(a)),
          h("td", {}, typeof a === "number" && typeof b === "number" ? change(a - b) : "–"),
          h("td", {}, String(c.newly_failing.filter((f) => f.service === name).length)),
          h("td", {}, String(c.resolved.filter((f) => f.service === name).length)));
      })));
  }
})();
