// Phone simulator: send texts through the carrier path, receive replies over /ws/simulator/.
(function () {
  "use strict";
  // Choosing another tenant reloads the page for it (no inline handlers: the Content-Security-Policy forbids them).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  const form = document.getElementById("sim-form");
  if (!form) return;
  const thread = document.getElementById("sim-thread");
  const err = document.getElementById("sim-error");
  const body = document.getElementById("sim-body");
  const count = document.getElementById("sim-count");
  const conn = document.getElementById("sim-conn");

  function add(cls, meta, text) {
    const empty = document.getElementById("sim-empty");
    if (empty) empty.remove();
    const li = document.createElement("li");
    li.className = "bubble " + cls;
    const m = document.createElement("span");
    m.className = "meta";
    m.textContent = meta + " · " + new Date().toLocaleTimeString();
    li.appendChild(m);
    li.appendChild(document.createTextNode(text));
    thread.appendChild(li);
    thread.scrollTop = thread.scrollHeight;
  }

  body.addEventListener("input", function () {
    const info = window.CxSms.info(body.value);  // static/js/sms.js, the composer's count
    count.textContent = body.value.length + " characters · " + info.segments + " segment(s)" + (info.encoding === "ucs2" ? " · UCS-2" : "");
  });

  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    err.hidden = true;
    const data = new FormData(form);
    const resp = await fetch("/simulator/send/", {method: "POST", body: data, headers: {"X-CSRFToken": data.get("csrfmiddlewaretoken")}});
    const out = await resp.json().catch(() => ({}));
    if (!resp.ok) {
      const errors = out.errors || {};
      err.textContent = Object.values(errors).flat().join(" ") || "The text was refused (" + resp.status + ").";
      err.hidden = false;
      return;
    }
    add("mine", out.from + " → " + out.to, out.body);
    body.value = "";
    body.dispatchEvent(new Event("input"));
  });

  function connect() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/simulator/");
    ws.onopen = function () { conn.textContent = "live"; conn.className = "conn ok"; };
    ws.onclose = function () { conn.textContent = "reconnecting…"; conn.className = "conn bad"; setTimeout(connect, 2000); };
    ws.onmessage = function (e) {
      const ev = JSON.parse(e.data);
      if (ev.type === "simulator.text") add("theirs", ev.from + " → " + ev.to, ev.body);
    };
  }
  connect();
})();
