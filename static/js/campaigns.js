// Campaign pages: the form's live preview and the progress page's polling.
// A file of its own: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  function csrf(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // (the upload's progress: static/js/contact_list_import.js)

  // --- campaign form: preview of the first recipients' texts ---------------------------------------
  var form = document.querySelector("[data-campaign-form]");
  if (form) {
    var columnsData = document.getElementById("list-columns");
    var listColumns = columnsData ? JSON.parse(columnsData.textContent) : {};
    var list = form.querySelector("[name=contact_list]");
    var columnsHelp = form.querySelector("[data-columns]");
    var errorBox = document.querySelector("[data-preview-error]");
    var previews = document.querySelector("[data-previews]");
    var timer = null;

    var showColumns = function () {
      var cols = listColumns[list.value];
      if (!columnsHelp) { return; }
      if (!list.value) { columnsHelp.textContent = "Merge fields: pick a list to see its columns."; return; }
      columnsHelp.textContent = cols && cols.length
        ? "Merge fields: " + cols.map(function (c) { return "{" + c + "}"; }).join(", ") + ". A fallback for an empty cell: {" + cols[0] + "|there}."
        : "This list has no columns besides the phone number.";
    };

    var render = function (data) {
      errorBox.textContent = data.error || (data.texts.length ? "" : "The list has no rows.");
      errorBox.classList.toggle("is-error", Boolean(data.error));
      previews.textContent = "";
      data.texts.forEach(function (t) {
        var li = document.createElement("li");
        li.className = "preview";
        var bubble = document.createElement("div");
        bubble.className = "bubble";
        bubble.textContent = t.body;
        var meta = document.createElement("p");
        meta.className = "preview-meta";
        meta.textContent = t.number + " · " + t.characters + " characters · " + t.encoding.toUpperCase() + " · " + t.segments +
          (t.segments === 1 ? " segment" : " segments");
        li.appendChild(bubble);
        li.appendChild(meta);
        previews.appendChild(li);
      });
    };

    var refresh = function () {
      var body = new FormData();
      body.append("contact_list", list.value);
      body.append("template", form.querySelector("[name=template]").value);
      if (form.querySelector("[name=append_opt_out]").checked) { body.append("append_opt_out", "on"); }
      fetch(form.dataset.previewUrl, {method: "POST", body: body, credentials: "same-origin", headers: {"X-CSRFToken": csrf(form)}})
        .then(function (r) { return r.json(); }).then(render)
        .catch(function () { errorBox.textContent = "The preview is not available right now."; });
    };
    var later = function () { clearTimeout(timer); timer = setTimeout(refresh, 300); };
    form.querySelectorAll("[data-preview-source]").forEach(function (el) {
      el.addEventListener("input", later);
      el.addEventListener("change", later);
    });
    list.addEventListener("change", showColumns);
    showColumns();
    if (list.value) { refresh(); }
  }

  // --- campaign page: progress, polled every two seconds while the campaign can still change ------------
  var card = document.querySelector("[data-progress-url]");
  if (card) {
    var states = {draft: "Draft", scheduled: "Scheduled", running: "Running", paused: "Paused", completed: "Completed", cancelled: "Cancelled"};
    var bar = card.querySelector("[data-progress-bar]");
    var show = function (p) {
      Object.keys(p).forEach(function (k) {
        var el = card.querySelector('[data-count="' + k + '"]');
        if (el) { el.textContent = p[k]; }
      });
      var done = p.total - p.to_go;
      bar.max = Math.max(p.total, 1);
      bar.value = done;
      card.querySelector("[data-progress-done]").textContent = done + " of " + p.total + " done";
      card.querySelector("[data-progress-rate]").textContent = p.state === "running"
        ? "· " + p.achieved_rate + " texts/s (limit " + p.rate + "/s)" : "";
      var eta = card.querySelector("[data-progress-eta]");
      eta.textContent = p.estimated_end ? "· ends about " + new Date(p.estimated_end).toLocaleTimeString() : "";
      var badge = document.querySelector("[data-progress-state]");
      if (badge && states[p.state]) {
        badge.textContent = states[p.state];
        badge.className = "badge state-" + p.state;
      }
      if (p.state === "completed" || p.state === "cancelled") {
        document.querySelectorAll("[data-action]").forEach(function (a) { a.hidden = true; });
      }
      var key = JSON.stringify([p.state, p.to_go, p.sent, p.delivered, p.failed]);
      if (last !== null && key !== last) { document.querySelector("[data-recipients-stale]").hidden = false; }
      last = key;
      return p.state;
    };
    var last = null;
    var poll = function () {
      fetch(card.dataset.progressUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (p) {
          var state = show(p);
          if (state === "running" || state === "scheduled" || state === "paused") { setTimeout(poll, 2000); }
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    poll();
  }
})();
