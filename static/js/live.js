/* cxsms live client: one websocket with snapshot + numbered events, seq-gap resync and reconnect,
 * plus the small helpers the workspace pages share (DOM building, REST calls, formatting).
 * No build step, no dependencies. docs/websockets.md describes the protocol. */
(function () {
  "use strict";

  // ---- DOM ------------------------------------------------------------------------------
  /** h("div.cls#id", {attr: v, onclick: fn}, child, "text", [children]) -> Element. Text is never parsed as HTML. */
  function h(spec, attrs) {
    var m = /^([a-z0-9]+)?((?:[.#][-\w]+)*)$/i.exec(spec) || [];
    var el = document.createElement(m[1] || "div");
    (m[2] || "").replace(/([.#])([-\w]+)/g, function (_, kind, name) {
      if (kind === ".") el.classList.add(name); else el.id = name;
    });
    var start = 1;
    if (attrs && typeof attrs === "object" && !(attrs instanceof Node) && !Array.isArray(attrs)) {
      start = 2;
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k.slice(0, 2) === "on" && typeof v === "function") el.addEventListener(k.slice(2), v);
        else if (k === "class") el.className += (el.className ? " " : "") + v;
        else if (k === "text") el.textContent = v;
        // Through the CSSOM: the Content-Security-Policy blocks style attributes, not element.style.
        else if (k === "style") el.style.cssText = v;
        else if (k === "dataset") Object.keys(v).forEach(function (d) { el.dataset[d] = v[d]; });
        else if (v === true) el.setAttribute(k, "");
        else el.setAttribute(k, v);
      });
    }
    for (var i = start; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { append(el, c); }); return; }
    el.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  /** Replace el's children. With a `key` (what the new children show, as a string), nothing happens when
   * el already shows that key: a live event that changes nothing there leaves its buttons in place, so a
   * click whose mouse-down and mouse-up fall on either side of a re-draw is not lost (the browser sends
   * no click when the button under the pointer was replaced between the two). Returns whether it replaced. */
  function replace(el, children, key) {
    if (key !== undefined && el.dataset.renderKey === key) return false;
    while (el.firstChild) el.removeChild(el.firstChild);
    append(el, children);
    if (key !== undefined) el.dataset.renderKey = key; else delete el.dataset.renderKey;
    return true;
  }

  // ---- time: the server's clock, learned from each snapshot -----------------------------
  var clockOffset = 0;
  function now() { return Date.now() + clockOffset; }
  function learnClock(serverTime) {
    var t = Date.parse(serverTime);
    if (!isNaN(t)) clockOffset = t - Date.now();
  }
  /** Seconds from now (server clock) until an ISO time; negative when past. */
  function secondsUntil(iso) { return iso ? (Date.parse(iso) - now()) / 1000 : null; }
  function secondsSince(iso) { return iso ? (now() - Date.parse(iso)) / 1000 : null; }
  function duration(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "—";
    var s = Math.max(0, Math.floor(seconds));
    var hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
    if (hh) return hh + ":" + String(mm).padStart(2, "0") + ":" + String(ss).padStart(2, "0");
    return mm + ":" + String(ss).padStart(2, "0");
  }
  function clock(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }
  function dateTime(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    return d.toLocaleDateString([], { month: "short", day: "numeric" }) + " " + clock(iso);
  }
  /** +12125550100 -> +1 212-555-0100; other numbers unchanged. */
  /** "1 waiting offer", "3 waiting offers": never "offer(s)" in words a person reads. */
  function plural(n, words) { return n + " " + words + (n === 1 ? "" : "s"); }
  function phone(n) {
    if (!n) return "";
    var m = /^\+1(\d{3})(\d{3})(\d{4})$/.exec(n);
    return m ? "+1 " + m[1] + "-" + m[2] + "-" + m[3] : n;
  }

  // ---- REST -----------------------------------------------------------------------------
  function cookie(name) {
    var m = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[1]) : "";
  }
  /** fetch JSON with the session and the CSRF header. Resolves {ok, status, data}; never rejects. */
  function api(method, url, body) {
    var opts = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method !== "GET") {
      opts.headers["X-CSRFToken"] = cookie("csrftoken") || (document.querySelector("[name=csrfmiddlewaretoken]") || {}).value || "";
    }
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(url, opts).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = { detail: text.slice(0, 200) }; }
        return { ok: r.ok, status: r.status, data: data };
      });
    }, function () {
      return { ok: false, status: 0, data: { detail: "The server could not be reached. Check your connection and try again." } };
    });
  }
  /** DRF error bodies -> one readable sentence. The server's messages are written to stand alone, so
   * no field name is put in front of them; only DRF's generic "This field …" gets the field's name in
   * words ("Contact number is required."). `plain` is kept for callers; every field is plain now. */
  function errorText(res, plain) {
    var d = res && res.data;
    if (res && res.status === 403 && !(d && d.detail)) return "You are not allowed to do this.";
    if (res && res.status === 404) return (d && d.detail) || "Not found — it may have ended already.";
    if (!d) return "Something went wrong (" + (res ? res.status : "?") + ").";
    if (typeof d === "string") return d;
    if (Array.isArray(d)) return d.join(" ");
    var parts = [];
    Object.keys(d).forEach(function (k) {
      var v = d[k];
      var text = Array.isArray(v) ? v.map(function (x) { return typeof x === "string" ? x : JSON.stringify(x); }).join(" ")
        : (typeof v === "string" ? v : JSON.stringify(v));
      var name = k.replace(/_/g, " ");
      parts.push(text.replace(/This field (is|may)/g, function (_m, verb) {
        return name.charAt(0).toUpperCase() + name.slice(1) + " " + verb;
      }));
    });
    return parts.join(" ") || "Something went wrong (" + res.status + ").";
  }
  /** A list from a DRF answer, paginated or not. */
  function rows(data) {
    if (Array.isArray(data)) return data;
    if (data && Array.isArray(data.results)) return data.results;
    return [];
  }

  // ---- the socket -----------------------------------------------------------------------
  /**
   * connect(path, {snapshot(msg), event(msg), status(state)}) -> {resync(), send(obj), request(obj), close()}
   * state: "connecting" | "connected" | "reconnecting" | "signed-out".
   * A new connection starts at seq 1 with a snapshot that replaces the screen; any gap in seq asks
   * the server for a fresh snapshot; a lost connection reconnects with backoff.
   */
  function connect(path, handlers) {
    var ws = null, lastSeq = 0, awaitingSnapshot = false, attempts = 0, timer = null, stopped = false, everOpened = false;
    var pending = {}, nextRef = 1; // requests sent over the socket, by ref, waiting for their reply
    var url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + path;

    function setStatus(s) { if (handlers.status) handlers.status(s); }

    function open() {
      timer = null;
      setStatus(everOpened || attempts ? "reconnecting" : "connecting");
      try { ws = new WebSocket(url); } catch (e) { return retry(); }
      lastSeq = 0;
      awaitingSnapshot = true;
      ws.onmessage = function (e) {
        var msg;
        try { msg = JSON.parse(e.data); } catch (err) { return; }
        if (typeof msg.seq === "number") {
          if (msg.seq !== lastSeq + 1 && !awaitingSnapshot) resync();
          lastSeq = msg.seq;
        }
        if (msg.type === "reply") {
          var done = pending[msg.ref];
          delete pending[msg.ref];
          if (done) done({ ok: !!msg.ok, status: msg.status, data: msg.data });
          return;
        }
        if (msg.type === "snapshot") {
          awaitingSnapshot = false;
          attempts = 0;
          everOpened = true;
          if (msg.server_time) learnClock(msg.server_time);
          setStatus("connected");
          handlers.snapshot(msg);
        } else if (msg.type !== "pong" && msg.type !== "closing" && handlers.event) {  // closing: the close code follows
          handlers.event(msg);
        }
      };
      ws.onclose = function (ev) {
        ws = null;
        // 4401/4403: the sign-in or the role this socket was opened with ended (docs/websockets.md); reconnecting cannot help.
        if (ev && (ev.code === 4401 || ev.code === 4403)) { stopped = true; setStatus("signed-out"); }
        // The server may or may not have done them: the snapshot after reconnecting shows which.
        Object.keys(pending).forEach(function (ref) {
          pending[ref]({ ok: false, status: 0, data: { detail: "The connection dropped before the server answered; the screen shows what was done once it is back." } });
        });
        pending = {};
        if (!stopped) retry();
      };
      ws.onerror = function () { /* onclose follows */ };
    }
    var holdUntil = 0;
    function retry() {
      attempts += 1;
      setStatus("reconnecting");
      if (attempts >= 3 && attempts % 3 === 0) {
        // A refused handshake looks like a network error to a browser: ask the page whether we are still signed in.
        fetch(location.href, { credentials: "same-origin", redirect: "manual" }).then(function (r) {
          if (r.type === "opaqueredirect" || r.status === 403 || r.status === 401) { stopped = true; setStatus("signed-out"); }
        }, function () {});
      }
      var delay = Math.min(10000, 500 * Math.pow(2, Math.min(attempts - 1, 5))) * (0.75 + Math.random() * 0.5);
      delay = Math.max(delay, holdUntil - Date.now());
      if (!stopped) timer = setTimeout(open, delay);
    }
    function send(obj) {
      if (ws && ws.readyState === 1) { ws.send(JSON.stringify(obj)); return true; }
      return false;
    }
    function resync() {
      if (send({ type: "resync" })) awaitingSnapshot = true;
    }
    /** Send an action over the socket; resolves {ok, status, data} like api(), or null when the
     * socket is not open (the caller then uses the REST API). */
    function request(obj) {
      return new Promise(function (resolve) {
        if (!ws || ws.readyState !== 1) { resolve(null); return; }
        var ref = nextRef++;
        pending[ref] = resolve;
        ws.send(JSON.stringify(Object.assign({}, obj, { ref: ref })));
      });
    }
    /** An action as the frame `command` while the socket is open, else as the REST call it mirrors. */
    function perform(command, method, url, body) {
      if (!command) return api(method, url, body);
      return request(command).then(function (res) { return res || api(method, url, body); });
    }
    // Coming back from sleep or a hidden tab: make sure the screen is current.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && !stopped) {
        if (!ws && timer) { clearTimeout(timer); open(); } else resync();
      }
    });
    window.addEventListener("online", function () { if (!ws && timer && !stopped) { clearTimeout(timer); open(); } });
    open();
    var conn = {
      resync: resync,
      send: send,
      request: request,
      perform: perform,
      close: function () { stopped = true; if (timer) clearTimeout(timer); if (ws) ws.close(); },
      /** Drop the connection as a network failure would, staying away at least `ms` (tests, diagnostics). */
      drop: function (ms) { holdUntil = Date.now() + (ms || 0); if (ws) ws.close(); },
    };
    sockets.push(conn);
    return conn;
  }
  var sockets = [];

  /** Wire a connection indicator element: <span data-live-status> with a dot and a label. */
  function statusIndicator(el) {
    var labels = { connecting: "Connecting…", connected: "Live", reconnecting: "Reconnecting…", "signed-out": "Signed out" };
    return function (state) {
      if (!el) return;
      el.dataset.state = state;
      el.setAttribute("title", state === "connected" ? "Live updates are on" : "Live updates are paused");
      replace(el, [h("span.live-dot", { "aria-hidden": "true" }), h("span.live-label", { text: labels[state] || state })]);
      var banner = document.getElementById("signed-out-banner");
      if (banner) banner.hidden = state !== "signed-out";
    };
  }

  /** Show an error banner (role=alert) in `el` that the user can dismiss. */
  function banner(el, text, kind) {
    if (!el) return;
    if (!text) { el.hidden = true; replace(el, []); return; }
    el.hidden = false;
    el.className = "ws-banner ws-banner-" + (kind || "error");
    replace(el, [h("span", { text: text }), h("button.ws-banner-close", { type: "button", "aria-label": "Dismiss", onclick: function () { banner(el, null); } }, "×")]);
  }

  window.CxLive = {
    h: h, replace: replace, connect: connect, sockets: sockets, api: api, errorText: errorText, rows: rows, statusIndicator: statusIndicator, banner: banner,
    now: now, secondsUntil: secondsUntil, secondsSince: secondsSince, duration: duration, clock: clock, dateTime: dateTime, phone: phone, plural: plural,
  };
})();
