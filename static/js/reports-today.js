// The supervisor page's "Today so far" strip: polls the live report figures every 15 seconds.
(function () {
  "use strict";
  var box = document.getElementById("today");
  if (!box) return;
  function duration(s) {
    if (s < 60) return s + "s";
    var m = Math.floor(s / 60);
    return m < 60 ? m + "m " + String(s % 60).padStart(2, "0") + "s" : Math.floor(m / 60) + "h " + String(m % 60).padStart(2, "0") + "m";
  }
  function show(data) {
    var text = {
      offered: String(data.offered), answered: String(data.answered), waiting: String(data.waiting),
      service_level: data.service_level === null ? "—" : Math.round(data.service_level * 100) + "%",
      longest_wait_seconds: data.waiting ? duration(data.longest_wait_seconds) : "—"
    };
    box.querySelectorAll("[data-figure]").forEach(function (el) { el.textContent = text[el.getAttribute("data-figure")]; });
  }
  function load() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) show(data); })
      .catch(function () {});
  }
  load();
  setInterval(load, 15000);
})();
