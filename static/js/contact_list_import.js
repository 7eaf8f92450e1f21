// A contact list's upload and import with their progress: the file is sent by XMLHttpRequest (its upload
// events give the bytes sent), then the import's counts are polled until it is done, and the refused rows
// are listed by line. Without this script the forms post as usual and the list's page polls the same way.
(function () {
  "use strict";

  var POLL_MS = 700;

  function size(n) { return n < 1048576 ? Math.round(n / 1024) + " KB" : (n / 1048576).toFixed(n < 10485760 ? 1 : 0) + " MB"; }
  function number(n) { return Number(n).toLocaleString("en-US"); }
  function plural(n, word) { return number(n) + " " + word + (n === 1 ? "" : "s"); }

  function panelOf(root) {
    var el = root.querySelector("[data-import-progress]") || document.querySelector("[data-import-progress]");
    if (!el) { return null; }
    var q = function (sel) { return el.querySelector(sel); };
    return {
      el: el, title: q("[data-import-title]"), bar: q("[data-import-bar]"), percent: q("[data-import-percent]"),
      line: q("[data-import-line]"), errors: q("[data-import-errors]"), errorsMore: q("[data-import-errors-more]"),
      errorRows: q("[data-import-errors] tbody"), done: q("[data-import-done]"), link: q("[data-import-link]"),
    };
  }

  function setBar(p, fraction) {
    var pct = Math.max(0, Math.min(100, Math.floor(fraction * 100)));
    p.bar.value = pct;
    p.percent.textContent = pct + " %";
  }

  function counts(d) {
    return plural(d.rows, "row") + " read · " + number(d.accepted) + " accepted · " + plural(d.duplicates, "duplicate") +
      " · " + number(d.rejected) + " refused";
  }

  function showErrors(p, d) {
    p.errorRows.textContent = "";
    (d.errors || []).forEach(function (e) {
      var tr = document.createElement("tr");
      var line = document.createElement("td");
      line.className = "num";
      line.textContent = e.line;
      var reason = document.createElement("td");
      reason.textContent = e.reason;
      tr.appendChild(line);
      tr.appendChild(reason);
      p.errorRows.appendChild(tr);
    });
    p.errors.hidden = !(d.errors && d.errors.length);
    p.errorsMore.hidden = !(d.rejected > (d.errors || []).length);
    p.errorsMore.textContent = "The first " + number((d.errors || []).length) + " of " + number(d.rejected) + " are listed.";
  }

  function follow(p, progressUrl, listUrl, reloadWhenDone) {
    var tick = function () {
      var xhr = new XMLHttpRequest();
      xhr.open("GET", progressUrl);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () {
        if (xhr.status !== 200) { p.line.textContent = "The import's progress could not be read (" + xhr.status + "); refresh the page."; return; }
        var d = JSON.parse(xhr.responseText);
        p.el.dataset.state = d.state;
        setBar(p, d.percent / 100);
        if (!d.done) {
          p.title.textContent = "Importing";
          p.line.textContent = counts(d) + " so far";
          window.setTimeout(tick, POLL_MS);
          return;
        }
        if (reloadWhenDone) { window.location.reload(); return; }
        p.title.textContent = d.state === "ready" ? "Imported" : d.state_display;
        p.line.textContent = counts(d) + ".";
        showErrors(p, d);
        if (listUrl) { p.link.href = listUrl; p.done.hidden = false; }
      };
      xhr.onerror = function () { window.setTimeout(tick, POLL_MS * 3); };
      xhr.send();
    };
    tick();
  }

  function upload(form, p) {
    var button = form.querySelector("button[type=submit]");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.getAttribute("action") || window.location.pathname);
    xhr.setRequestHeader("Accept", "application/json");
    p.el.hidden = false;
    p.el.dataset.state = "uploading";
    p.title.textContent = "Uploading";
    p.errors.hidden = true;
    p.done.hidden = true;
    setBar(p, 0);
    p.line.textContent = "Sending the file…";
    xhr.upload.onprogress = function (e) {
      if (!e.lengthComputable) { return; }
      setBar(p, e.loaded / e.total);
      p.line.textContent = size(e.loaded) + " of " + size(e.total) + " sent";
    };
    xhr.upload.onload = function () {
      setBar(p, 1);
      p.title.textContent = "Checking the file";
      p.line.textContent = "Sent; reading the header row…";
    };
    xhr.onload = function () {
      var d = null;
      try { d = JSON.parse(xhr.responseText); } catch (err) { d = null; }
      if (xhr.status >= 400 || !d) {
        p.el.dataset.state = "refused";
        p.title.textContent = "Not imported";
        p.percent.textContent = "";
        p.bar.value = 0;
        p.line.textContent = d && d.errors ? d.errors.join(" ") : "The upload failed (" + xhr.status + "); try again.";
        if (button) { button.disabled = false; }
        return;
      }
      form.reset();
      if (button) { button.disabled = false; }
      follow(p, d.progress_url, d.url, false);
    };
    xhr.onerror = function () {
      p.title.textContent = "Not imported";
      p.line.textContent = "The connection broke while sending the file; try again.";
      if (button) { button.disabled = false; }
    };
    if (button) { button.disabled = true; }
    xhr.send(new FormData(form));
  }

  document.querySelectorAll("[data-upload-form]").forEach(function (form) {
    var p = panelOf(form.parentNode);
    if (!p || !window.FormData) { return; }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      upload(form, p);
    });
  });

  // A list still importing when its page opens (a large upload, or one sent without this script).
  document.querySelectorAll("[data-import-progress][data-progress-url]").forEach(function (el) {
    follow(panelOf(el.parentNode), el.dataset.progressUrl, null, el.hasAttribute("data-reload-when-done"));
  });
}());
