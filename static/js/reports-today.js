// The supervisor page's "Today so far" strip: read again a moment after a room is queued, taken or
// ended (the page's live events), and every 15 seconds besides.
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
  var soon = null;
  function loadSoon() {  // a burst of events makes one read
    if (soon) return;
    soon = setTimeout(function () { soon = null; load(); }, 1500);  // longer than the server's live window (CXSMS_REPORTS_LIVE_SECONDS)
  }
  load();
  setInterval(load, 15000);
  if (window.CxSupervisor) {
    window.CxSupervisor.on("event", function (ev) {
      if (/^room\.(queued|assigned|closed)$/.test(ev.type)) loadSoon();
    });
  }
})();
