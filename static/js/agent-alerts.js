/* Agent workspace, continued: a sound on a new offer (and on a contact's text while the tab is in the
 * background), a desktop notification for both while the tab is in the background (once the agent
 * allowed them), and keyboard shortcuts with their help overlay. Uses the page's own actions through
 * window.CxAgent (agent.js). Shortcuts never fire while typing: Esc leaves the composer. */
(function () {
  "use strict";
  var A = window.CxAgent;
  var $ = function (id) { return document.getElementById(id); };
  var PREFS_KEY = "cxsms.alerts";
  var prefs = { sound: true };
  try { Object.assign(prefs, JSON.parse(localStorage.getItem(PREFS_KEY) || "{}")); } catch (e) { /* defaults */ }
  var log = [];  // what was signalled, newest last (the help overlay's "last alert", tests)
  window.CxAlerts = { log: log };

  function background() { return document.hidden || document.visibilityState === "hidden"; }

  // ---- sound: a short tone made on the spot (no file to load, no autoplay surprise) ------------
  var audio = null;
  function unlockAudio() {  // browsers start audio only after a gesture on the page
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
  }
  document.addEventListener("pointerdown", unlockAudio, { capture: true });
  document.addEventListener("keydown", unlockAudio, { capture: true });
  function tone(kind) {
    if (!prefs.sound || !audio) return false;
    try {
      var t = audio.currentTime, osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.setValueAtTime(kind === "offer" ? 880 : 660, t);
      if (kind === "offer") osc.frequency.setValueAtTime(1175, t + 0.16);
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + (kind === "offer" ? 0.45 : 0.25));
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.5);
      return true;
    } catch (e) { return false; }
  }

  // ---- desktop notifications -------------------------------------------------------------
  function canNotify() { return "Notification" in window && Notification.permission === "granted"; }
  function notify(title, body, roomId) {
    if (!canNotify()) return false;
    try {
      var n = new Notification(title, { body: body, tag: "room-" + roomId });
      n.onclick = function () { window.focus(); if (roomId) A.select(roomId); n.close(); };
      return true;
    } catch (e) { return false; }  // some browsers allow notifications only from a service worker
  }

  function signal(kind, roomId, title, body) {
    var hidden = background();
    var sounded = (kind === "offer" || hidden) ? tone(kind) : false;
    var notified = hidden ? notify(title, body, roomId) : false;
    log.push({ kind: kind, room: roomId, background: hidden, sound: sounded, notified: notified });
    if (log.length > 20) log.shift();
  }

  A.onEvent(function (ev) {
    if (ev.type === "room.offered") {
      var first = ev.first_message ? ev.first_message.body : "";
      signal("offer", ev.room.id, "New " + (ev.room.channel === "chat" ? "chat" : "text") + " from " + A.contactLabel(ev.room), first);
    } else if (ev.type === "room.message" && ev.message && ev.message.direction === "inbound" && !ev.message.automatic) {
      var room = A.actives().find(function (r) { return r.id === ev.room_id; });
      if (room) signal("message", ev.room_id, A.contactLabel(room), ev.message.body);
    }
  });

  // ---- the help overlay: shortcuts and alert settings --------------------------------------
  var dialog = $("shortcuts-dialog");
  function renderSettings() {
    $("alert-sound").checked = !!prefs.sound;
    var state = !("Notification" in window) ? "unsupported" : Notification.permission;
    $("notify-state").textContent = {
      granted: "On: you are notified while this tab is in the background.",
      denied: "Blocked in this browser's site settings.",
      unsupported: "This browser cannot show desktop notifications.",
    }[state] || "Off.";
    $("notify-allow").hidden = state !== "default";
  }
  function openHelp() { renderSettings(); if (!dialog.open) dialog.showModal(); }
  $("shortcuts-open").addEventListener("click", openHelp);
  $("shortcuts-close").addEventListener("click", function () { dialog.close(); });
  $("alert-sound").addEventListener("change", function (e) {
    prefs.sound = e.target.checked;
    try { localStorage.setItem(PREFS_KEY, JSON.stringify(prefs)); } catch (err) { /* private mode: this page only */ }
    if (prefs.sound) { unlockAudio(); tone("message"); }
  });
  $("notify-allow").addEventListener("click", function () {
    Notification.requestPermission().then(renderSettings, renderSettings);
  });

  // ---- keyboard shortcuts ----------------------------------------------------------------
  function typing(el) {
    // A field in a dialog that just closed keeps the focus until the browser's next style pass: not typing.
    var dlg = el && el.closest && el.closest("dialog");
    if (dlg && !dlg.open) return false;
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function nextConversation(step) {
    var list = A.actives();
    if (!list.length) return;
    var cur = A.current(), i = cur ? list.findIndex(function (r) { return r.id === cur.id; }) : -1;
    A.select(list[(i + step + list.length) % list.length].id);
    document.activeElement.blur();  // select() focuses the composer; the agent is still navigating
  }
  var KEYS = {
    a: function () { var o = A.offers()[0]; if (o) A.accept(o); },
    r: function () { var o = A.offers()[0]; if (o) A.reject(o); },
    n: function () { nextConversation(1); },
    p: function () { nextConversation(-1); },
    e: function () { var r = A.current(); if (r && r.state === "active") A.end(r); },
    c: function () { var input = $("composer-body"); if (!$("composer").hidden) input.focus(); },
    "?": openHelp,
  };
  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (e.key === "Escape" && e.target && e.target.id === "composer-body") { e.target.blur(); return; }  // the canned list takes Esc first
    if (typing(e.target) || document.querySelector("dialog[open]")) return;
    var run = KEYS[e.key.length === 1 ? e.key.toLowerCase() : ""];
    if (!run) return;
    e.preventDefault();
    run();
  });
})();
