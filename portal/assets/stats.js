// Supervisors' dashboard: draws a chart above each `table[data-chart]` from the table's own numbers (Chart.js).
// The table stays the accessible source: the chart is decorative for screen readers and absent without script.
(function () {
  "use strict";
  const colours = { received: "#1d70b8", early: "#00703c", on_time: "#85994b", late: "#d4351c" };
  function draw(table) {
    if (typeof window.Chart === "undefined") return;
    const headers = Array.from(table.querySelectorAll("thead th"));
    const series = [];
    headers.forEach((th, index) => {
      if (th.dataset.series) series.push({ key: th.dataset.series, label: th.textContent.trim(), index });
    });
    const rows = Array.from(table.querySelectorAll("tbody tr[data-key]"));
    if (!rows.length || !series.length) return;
    const labels = rows.map((tr) => tr.querySelector("th").textContent.trim());
    const datasets = series.map((s) => ({
      label: s.label,
      backgroundColor: colours[s.key] || "#505a5f",
      data: rows.map((tr) => Number(tr.children[s.index].dataset.value || 0)),
    }));
    const figure = document.createElement("div");
    figure.className = "motcua-chart";
    figure.setAttribute("aria-hidden", "true");
    const canvas = document.createElement("canvas");
    figure.appendChild(canvas);
    table.closest(".motcua-table-wrap").before(figure);
    new window.Chart(canvas, {
      type: table.dataset.chart || "bar",
      data: { labels, datasets },
      options: { responsive: true, maintainAspectRatio: false, animation: false, plugins: { legend: { position: "bottom" } } },
    });
  }
  function start() {
    document.querySelectorAll("table[data-chart]").forEach(draw);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
