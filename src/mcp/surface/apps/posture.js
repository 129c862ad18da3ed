// The posture overview, from get_posture's structured result.
(function () {
  const view = document.getElementById("view");
  const picker = document.getElementById("picker");
  const trends = new Map();
  let tenants = [];
  const host = connectHost(["get_posture", "get_score_trend"], { result: render });

  function render(result) {
    const data = result.structuredContent;
    if (!data || !Array.isArray(data.tenants)) {
      show(view, h("p", { class: "muted" }, textOf(result) || "No posture data."));
      return;
    }
    tenants = data.tenants;
    if (tenants.length === 0) {
      show(view, h("p", { class: "muted" }, "No tenant is connected, or none is in this token's scope."));
      return;
    }
    if (tenants.length > 1) {
      const select = h("select", { "aria-label": "Tenant" }, tenants.map((t, i) =>
        h("option", { value: i }, t.tenant.display_name + " (" + t.tenant.primary_domain + ")")));
      select.addEventListener("change", () => tenant(Number(select.value)));
      show(picker, select);
    } else {
      show(picker);
    }
    tenant(0);
  }

  function tenant(index) {
    const t = tenants[index];
    if (!t) return;
    const chart = h("div", { class: "chart-box" }, h("p", { class: "muted" }, "Loading the score trend…"));
    show(view,
      h("h2", {}, t.tenant.display_name),
      h("div", { class: "muted" }, t.tenant.primary_domain),
      t.latest.length === 0 ? h("p", { class: "muted" }, "No completed scan yet.") : null,
      t.latest.map(scan),
      h("h2", {}, "Score trend (compliance, 30 days)"),
      chart);
    trend(t.tenant.id).then((points) => show(chart, drawTrend(points)),
      (e) => show(chart, h("p", { class: "error" }, "Trend unavailable: " + e.message)));
  }

  function scan(detail) {
    const sv = detail.scan;
    const input = sv.input;
    const source = input ? input.source + ", collected " + age(input.collected_at) : "public DNS";
    return h("section", {},
      h("h2", {}, sv.kind + " scan #" + sv.id),
      h("div", { class: "cards" },
        h("div", { class: "card" }, h("div", { class: "muted" }, "Score"), h("div", { class: "big score" }, score(sv.score))),
        h("div", { class: "card" }, h("div", { class: "muted" }, "Change"), h("div", { class: "big" }, change(detail.score_change))),
        h("div", { class: "card" }, h("div", { class: "muted" }, "Failing"), h("div", { class: "big" }, String(sv.counts.fail)))),
      h("div", { class: "muted" }, "Failing checks by severity"),
      severityCards(sv.failing),
      h("div", { class: "muted source" }, "Data: " + source + "; scanned " + age(sv.finished_at) + "."),
      input && input.note ? h("div", { class: "muted" }, input.note) : null);
  }

  function trend(tenantId) {
    if (!trends.has(tenantId)) {
      trends.set(tenantId, host.callTool("get_score_trend", { tenant: tenantId })
        .then((data) => (data.points || []).filter((p) => p.tenant_id === tenantId && typeof p.score === "number")));
    }
    return trends.get(tenantId);
  }

  function drawTrend(points) {
    if (points.length === 0) return h("p", { class: "muted" }, "No completed scan in the last 30 days.");
    const w = 320, ht = 132, pad = 24, bottom = 36;
    const times = points.map((p) => Date.parse(p.finished_at));
    const t0 = Math.min(...times), t1 = Math.max(...times);
    const x = (t) => pad + (t1 === t0 ? (w - 2 * pad) / 2 : ((t - t0) / (t1 - t0)) * (w - 2 * pad));
    const y = (v) => ht - bottom - (v / 100) * (ht - pad - bottom);
    const coords = points.map((p, i) => [x(times[i]), y(p.score)]);
    return s("svg", { class: "chart", viewBox: "0 0 " + w + " " + ht, role: "img",
        "aria-label": "Score trend: " + points.map((p) => score(p.score)).join(", ") },
      [0, 50, 100].map((v) => [s("line", { x1: pad, x2: w - pad, y1: y(v), y2: y(v) }),
        s("text", { x: 2, y: y(v) + 3 }, String(v))]),
      [[t0, "start"], [t1, "end"]].filter((d, i) => i === 0 || t1 !== t0).map(([t, anchor]) =>
        s("text", { x: x(t).toFixed(1), y: ht - 14, "text-anchor": anchor }, new Date(t).toISOString().slice(0, 10))),
      s("polyline", { points: coords.map((c) => c[0].toFixed(1) + "," + c[1].toFixed(1)).join(" ") }),
      coords.map((c, i) => s("circle", { cx: c[0].toFixed(1), cy: c[1].toFixed(1), r: 3 },
        s("title", {}, points[i].finished_at.slice(0, 10) + ": " + score(points[i].score)))));
  }
})();
