// leadpact's few lines of script: the form token on HTMX requests, live SLA countdowns, charts, and a question
// before a change that cannot be undone.
(function () {
  "use strict";
  var serverNow = document.querySelector('meta[name="server-now"]');
  // the server's clock may run ahead of or behind this one (a demo world served as of its own date)
  var offset = serverNow ? Date.parse(serverNow.content) - Date.now() : 0;

  document.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector('meta[name="csrf-token"]');
    if (token) { event.detail.headers["X-CSRF-Token"] = token.content; }
  });

  // a refusal (4xx) comes back as a message for the page's #flash area: show it instead of dropping it
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.getResponseHeader("HX-Retarget")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function span(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60), mins = minutes % 60;
    if (days) { return days + "d " + hours + "h"; }
    if (hours) { return hours + "h " + String(mins).padStart(2, "0") + "m"; }
    return mins + "m " + String(Math.floor(Math.abs(ms) / 1000) % 60).padStart(2, "0") + "s";
  }

  function tick() {
    var now = Date.now() + offset;
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = Date.parse(el.dataset.due) - now;
      el.textContent = left >= 0 ? span(left) + " left" : "overdue " + span(left);
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("soon", left >= 0 && left < 3600000);
    });
  }

  function charts(root) {
    if (!window.Chart) { return; }
    root.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      if (canvas.dataset.drawn) { return; }
      canvas.dataset.drawn = "1";
      var config = JSON.parse(canvas.dataset.chart);
      config.options = Object.assign({ responsive: true, maintainAspectRatio: false }, config.options || {});
      new window.Chart(canvas, config);
    });
  }

  // a form that changes something for good asks first (data-confirm holds the question)
  document.addEventListener("submit", function (event) {
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    charts(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) { tick(); charts(event.target); });
})();
