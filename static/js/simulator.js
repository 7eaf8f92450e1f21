// Phone simulator: send texts through the carrier path, receive replies over /ws/simulator/.
// One thread per contact number and number of ours: the phone shows the thread of the number typed
// in "Your phone number" and the number chosen; a chip per thread switches to it and counts unread replies.
(function () {
  "use strict";
  // Choosing another tenant reloads the page for it (no inline handlers: the Content-Security-Policy forbids them).
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
  const form = document.getElementById("sim-form");
  if (!form) return;
  const thread = document.getElementById("sim-thread");
  const chips = document.getElementById("sim-threads");
  const title = document.getElementById("sim-title");
  const empty = document.getElementById("sim-empty");
  const err = document.getElementById("sim-error");
  const from = document.getElementById("sim-from");
  const poc = document.getElementById("sim-poc");
  const body = document.getElementById("sim-body");
  const count = document.getElementById("sim-count");
  const conn = document.getElementById("sim-conn");
  const unread = {};

  // A number as the server stores it, near enough to match threads: "+" and digits; ten digits are a US number.
  function e164(value) {
    const digits = String(value || "").replace(/\D/g, "");
    if (!digits) return "";
    return "+" + (digits.length === 10 && !String(value).trim().startsWith("+") ? "1" + digits : digits);
  }
  function key(contact, ours) { return e164(contact) + "|" + (ours || ""); }
  function currentKey() {
    const option = poc.options[poc.selectedIndex];
    return key(from.value, option ? option.dataset.number : "");
  }
  function bubbles() { return Array.prototype.filter.call(thread.children, function (li) { return li.classList.contains("bubble"); }); }

  function render() {
    const current = currentKey();
    let shown = 0;
    bubbles().forEach(function (li) {
      const mine = key(li.dataset.contact, li.dataset.poc) === current;
      li.hidden = !mine;
      if (mine) shown += 1;
    });
    delete unread[current];
    empty.hidden = shown > 0;
    const parts = current.split("|");
    title.textContent = parts[0] ? parts[0] + " ↔ " + parts[1] : "Conversation";
    renderChips(current);
    thread.scrollTop = thread.scrollHeight;
  }

  function renderChips(current) {
    const seen = [];
    bubbles().forEach(function (li) {
      const k = key(li.dataset.contact, li.dataset.poc);
      if (seen.indexOf(k) < 0) seen.push(k);
    });
    if (seen.indexOf(current) < 0 && current.split("|")[0]) seen.push(current);
    chips.replaceChildren();
    chips.hidden = seen.length < 2;
    seen.forEach(function (k) {
      const parts = k.split("|");
      const b = document.createElement("button");
      b.type = "button";
      b.className = "sim-chip" + (k === current ? " active" : "");
      b.setAttribute("aria-pressed", k === current ? "true" : "false");
      b.dataset.testid = "sim-chip";
      b.textContent = parts[0] + " → " + parts[1];
      if (unread[k]) {
        const n = document.createElement("span");
        n.className = "count";
        n.textContent = String(unread[k]);
        n.title = unread[k] + (unread[k] === 1 ? " new reply" : " new replies");
        b.appendChild(n);
      }
      b.addEventListener("click", function () {
        from.value = parts[0];
        const option = Array.prototype.find.call(poc.options, function (o) { return o.dataset.number === parts[1]; });
        if (option) poc.value = option.value;
        render();
      });
      chips.appendChild(b);
    });
  }

  function add(cls, contact, ours, meta, text) {
    const li = document.createElement("li");
    li.className = "bubble " + cls;
    li.dataset.contact = e164(contact);
    li.dataset.poc = ours;
    const m = document.createElement("span");
    m.className = "meta";
    m.textContent = meta + " · " + new Date().toLocaleTimeString();
    li.appendChild(m);
    li.appendChild(document.createTextNode(text));
    thread.insertBefore(li, empty);
    const k = key(contact, ours);
    if (k !== currentKey()) unread[k] = (unread[k] || 0) + 1;
    render();
  }

  body.addEventListener("input", function () {
    const info = window.CxSms.info(body.value);  // static/js/sms.js, the composer's count
    count.textContent = body.value.length + " characters · " + info.segments + (info.segments === 1 ? " segment" : " segments") +
      (info.encoding === "ucs2" ? " · UCS-2" : "");
  });
  from.addEventListener("input", render);
  poc.addEventListener("change", render);

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
    add("mine", out.from, out.to, out.from + " → " + out.to, out.body);
    body.value = "";
    body.dispatchEvent(new Event("input"));
  });

  let retry = 1000;
  function connect() {
    // The operator has no tenant of their own: the socket names the tenant this page shows.
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/simulator/?tenant=" +
      encodeURIComponent(form.dataset.tenant || ""));
    ws.onopen = function () { retry = 1000; conn.textContent = "live"; conn.className = "conn ok"; };
    ws.onclose = function (e) {
      conn.className = "conn bad";
      if (e.code === 4401 || e.code === 4403) {  // signed out, or no longer allowed: retrying cannot help
        conn.textContent = e.code === 4401 ? "offline — sign in again" : "offline — not allowed";
        return;
      }
      conn.textContent = "reconnecting…";
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
    ws.onmessage = function (e) {
      const ev = JSON.parse(e.data);
      if (ev.type === "simulator.text") add("theirs", ev.to, ev.from, ev.from + " → " + ev.to, ev.body);
    };
  }
  render();
  connect();
})();
