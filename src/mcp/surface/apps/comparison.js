// The comparison of two scans, from compare_scans's structured result.
(function () {
  const view = document.getElementById("view");
  const picker = document.getElementById("picker");
  const scans = new Map();
  let comparisons = [];
  const host = connectHost(["compare_scans", "get_scan"], { result: render });

  function render(result) {
    const data = result.structuredContent || {};
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

  function list(title, findings) {
    return [h("h2", {}, title + " (" + findings.length + ")"),
      findings.length === 0 ? h("p", { class: "muted" }, "None.") : h("div", { class: "scroll" },
        h("table", {}, h("tbody", {}, findings.map((f) => h("tr", {},
          h("td", { class: "sev-" + f.severity }, f.severity), h("td", {}, f.check_id),
          h("td", {}, f.title), h("td", { class: "wide" }, f.service))))))];
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

  function detail(id) {
    if (!scans.has(id)) scans.set(id, host.callTool("get_scan", { scan: id }));
    return scans.get(id);
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
        return h("tr", {}, h("td", {}, name), h("td", {}, pct(b) + " → " + pct(a)),
          h("td", {}, typeof a === "number" && typeof b === "number" ? change(a - b) : "–"),
          h("td", {}, String(c.newly_failing.filter((f) => f.service === name).length)),
          h("td", {}, String(c.resolved.filter((f) => f.service === name).length)));
      })));
  }
})();
