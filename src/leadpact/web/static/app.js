// leadpact's few lines of script: the form token on HTMX requests, live SLA countdowns, charts, a question
// before a change that cannot be undone, a workshop grade given with one key, and a box that ticks a page's boxes.
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

  // a form that changes something for good asks first (data-confirm holds the question): HTMX asks before it
  // sends the form, and the browser before it posts a form HTMX does not send (or when HTMX is not there)
  document.addEventListener("htmx:confirm", function (event) {
    var question = event.detail.elt.dataset && event.detail.elt.dataset.confirm;
    if (!question) { return; }
    event.preventDefault();
    if (window.confirm(question)) { event.detail.issueRequest(true); }
  });
  document.addEventListener("submit", function (event) {
    if (event.defaultPrevented) { return; }  // HTMX sends it, and has asked
    var question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(asked(event.target, question))) { event.preventDefault(); }
  });

  // a question may name what the form holds: {name} reads as the option chosen in the form's select of that
  // name (with its group's label), or as how many of its boxes of that name are ticked
  function asked(form, question) {
    return question.replace(/\{(\w+)\}/g, function (whole, name) {
      var field = form.elements[name];
      if (!field) { return whole; }
      if (field.tagName === "SELECT") {
        var option = field.options[field.selectedIndex];
        var group = option && option.parentElement.tagName === "OPTGROUP" ? option.parentElement.label + " " : "";
        return option ? group + option.text : "";
      }
      var boxes = field.length === undefined ? [field] : Array.prototype.slice.call(field);
      return String(boxes.filter(function (box) { return box.checked; }).length);
    });
  }

  // a box that ticks every box of a name (data-tick-all-of) on the page; shown only where this script runs
  function tickAll() {
    document.querySelectorAll("[data-tick-all-of]").forEach(function (all) {
      var label = all.closest("[data-tick-all]");
      if (label) { label.hidden = false; }
      all.addEventListener("change", function () {
        document.querySelectorAll('input[type="checkbox"][name="' + all.dataset.tickAllOf + '"]').forEach(function (box) {
          box.checked = all.checked;
        });
      });
    });
  }

  // a workshop's grading form (data-grade-keys): a grade's key (data-key, either case) gives that grade, unless
  // the key is typed into a field; the keys are shown only where this script runs to make them work
  function gradeKeys() {
    var form = document.querySelector("form[data-grade-keys]");
    if (!form) { return; }
    form.querySelectorAll("kbd[hidden], [data-key-hint][hidden]").forEach(function (el) { el.hidden = false; });
    form.querySelectorAll("button[data-key]").forEach(function (button) {
      button.setAttribute("aria-keyshortcuts", button.dataset.key.toUpperCase());
    });
    var sent = false;
    document.addEventListener("keydown", function (event) {
      if (sent || event.defaultPrevented || event.repeat || event.isComposing) { return; }
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }  // shortcuts, and Alt+key is the access key
      var target = event.target;
      if (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
      var key = event.key.toLowerCase();
      var button = Array.prototype.find.call(form.querySelectorAll("button[data-key]"), function (b) {
        return b.dataset.key === key;
      });
      if (!button) { return; }
      event.preventDefault();
      sent = true;  // one grade per page: a second key before the next lead loads would grade this lead again
      form.requestSubmit(button);
    });
    window.addEventListener("pageshow", function () { sent = false; });  // back to the page from the history
  }

  // what polls the server (data-poll: the queue's news, the navigation's count) asks nothing while the tab is
  // hidden, and asks at once when it is shown again (the "poll" event of its hx-trigger)
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (document.hidden && event.detail.elt.hasAttribute("data-poll")) { event.preventDefault(); }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden || !window.htmx) { return; }
    document.querySelectorAll("[data-poll]").forEach(function (el) { window.htmx.trigger(el, "poll"); });
  });

  document.addEventListener("DOMContentLoaded", function () {
    gradeKeys();
    tickAll();
    tick();
    setInterval(tick, 1000);
    charts(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) { tick(); charts(event.target); });
})();
