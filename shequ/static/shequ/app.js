// shequ front end: no inline scripts (CSP). Charts read their ECharts option from a json_script element:
//   <div class="chart" data-chart="my-option-id"></div>{{ option|json_script:"my-option-id" }}
(function () {
  var palette = ["#0b69a3", "#c53030", "#2f855a", "#b7791f", "#6b46c1", "#319795", "#d53f8c", "#718096",
    "#dd6b20", "#3182ce", "#38a169", "#805ad5", "#e53e3e"];
  // Chart kinds built from plain data (the server sends numbers, not ECharts options).
  var builders = {
    // {labels: [...bands], male: [...], female: [...], maleName, femaleName}: males to the left.
    pyramid: function (d) {
      return {
        color: ["#0b69a3", "#c53030"],
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
          valueFormatter: function (v) { return Math.abs(v); } },
        legend: { data: [d.maleName || "M", d.femaleName || "F"], top: 0 },
        grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
        xAxis: { type: "value", axisLabel: { formatter: function (v) { return Math.abs(v); } } },
        yAxis: { type: "category", data: d.labels, axisTick: { show: false } },
        series: [
          { name: d.maleName || "M", type: "bar", stack: "age", data: d.male.map(function (v) { return -v; }) },
          { name: d.femaleName || "F", type: "bar", stack: "age", data: d.female }
        ]
      };
    },
    // {compounds: [...], series: [{name, data: [...]}, ...]}: one horizontal stacked bar per compound.
    "stacked-bar": function (d) {
      return {
        color: palette,
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { type: "scroll", top: 0 },
        grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: d.compounds.slice().reverse(), axisLabel: { width: 90, overflow: "truncate" } },
        series: d.series.map(function (s) {
          return { name: s.name, type: "bar", stack: "total", data: s.data.slice().reverse() };
        })
      };
    }
  };
  function initCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.chartReady) return;
      var src = document.getElementById(el.dataset.chart);
      if (!src) return;
      var data = JSON.parse(src.textContent);
      var build = builders[el.dataset.chartKind];
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(build ? build(data) : data);
      el.dataset.chartReady = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  function initToggles(root) {
    root.querySelectorAll("[data-toggle]").forEach(function (btn) {
      if (btn.dataset.toggleReady) return;
      btn.dataset.toggleReady = "1";
      btn.addEventListener("click", function () {
        var target = document.getElementById(btn.dataset.toggle);
        var open = target.classList.toggle("open");
        btn.setAttribute("aria-expanded", open ? "true" : "false");
      });
    });
  }
  function initConfirm(root) {
    root.querySelectorAll("form[data-confirm]").forEach(function (form) {
      if (form.dataset.confirmReady) return;
      form.dataset.confirmReady = "1";
      form.addEventListener("submit", function (e) { if (!window.confirm(form.dataset.confirm)) e.preventDefault(); });
    });
  }
  function init(root) { initCharts(root); initToggles(root); initConfirm(root); }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:afterSettle", function (e) { init(e.target); });
})();
