// shequ front end: no inline scripts (CSP). Charts read their ECharts option from a json_script element:
//   <div class="chart" data-chart="my-option-id"></div>{{ option|json_script:"my-option-id" }}
(function () {
  function initCharts(root) {
    if (!window.echarts) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.chartReady) return;
      var src = document.getElementById(el.dataset.chart);
      if (!src) return;
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(JSON.parse(src.textContent));
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
