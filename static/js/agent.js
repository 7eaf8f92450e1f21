/* Agent workspace: renders only from the /ws/agent/ snapshot and events; actions go to the REST API.
 * A snapshot (on connect, reconnect, or after a gap) replaces everything on screen. */
(function () {
  "use strict";
  var L = window.CxLive, h = L.h;
  var config = JSON.parse(document.getElementById("workspace-config").textContent);
  var labels = config.labels;
  var $ = function (id) { return document.getElementById(id); };

  var smsInfo = window.CxSms.info;  // static/js/sms.js
  var MAX_BODY = 1600;

  // ---- state ----------------------------------------------------------------------------
  var S = {
    agent: null,          // {id, username, state, session_limit, chat, sms, channels}
    rooms: {},            // id -> room payload (+ messages) for offered and active rooms
    ended: null,          // the selected room after it closed (kept on screen until dismissed)
    selected: null,       // room id in the thread
    unread: {},           // room id -> count of inbound messages not seen
    drafts: {},           // room id -> composer text
    pending: {},          // "accept:12" -> true while a request runs
    selectWhenSeen: null, // room id to open once it appears (outbound started here, accepted offer)
    view: "list",         // below ~800 px one column shows either the list ("list") or the thread ("thread")
    lapsed: false,        // set Unavailable because an offer timed out (said until the agent changes state)
  };

  function byOpened(a, b) { return (a.opened_at || "").localeCompare(b.opened_at || "") || a.id - b.id; }
  function offers() { return Object.values(S.rooms).filter(function (r) { return r.state === "offered"; }).sort(byOpened); }
  function actives() { return Object.values(S.rooms).filter(function (r) { return r.state === "active"; }).sort(byOpened); }
  function current() { return S.rooms[S.selected] || (S.ended && S.ended.id === S.selected ? S.ended : null); }
  function contactLabel(r) { return r.channel === "chat" ? (r.contact_name || "Web chat visitor") : L.phone(r.contact_number); }

  var live = L.connect(config.ws, {
    snapshot: function (snap) {
      S.agent = snap.agent;
      var old = S.rooms;
      S.rooms = {};
      snap.rooms.forEach(function (r) { S.rooms[r.id] = r; });
      Object.keys(S.unread).forEach(function (id) { if (!S.rooms[id]) delete S.unread[id]; });
      Object.keys(old).forEach(function (id) {
        if (!S.rooms[id] && old[id].state === "active" && Number(id) === S.selected) S.ended = Object.assign({}, old[id], { state: "closed" });
      });
      if (S.selectWhenSeen && S.rooms[S.selectWhenSeen]) { S.selected = S.selectWhenSeen; S.selectWhenSeen = null; }
      if (!current()) S.selected = (actives()[0] || {}).id || null;
      renderAll();
    },
    event: onEvent,
    status: L.statusIndicator(document.querySelector("[data-live-status]")),
  });

  function merge(room) {
    var old = S.rooms[room.id];
    S.rooms[room.id] = Object.assign({}, old || {}, room, { messages: (old && old.messages) || room.messages || [] });
    return S.rooms[room.id];
  }

  function onEvent(ev) {
    document.dispatchEvent(new CustomEvent("cx:event", { detail: ev }));  // the page's other panels (room-notes.js)
    eventHooks.forEach(function (fn) { fn(ev); });  // agent-alerts.js: sound and notifications
    switch (ev.type) {
      case "room.offered":
        var r = merge(ev.room);
        if (ev.first_message && !r.messages.some(function (m) { return m.id === ev.first_message.id; })) r.messages.push(ev.first_message);
        flashTitle();
        break;
      case "room.assigned":
      case "room.updated":
        if (!S.rooms[ev.room.id]) { live.resync(); return; } // a room we have not seen: take it with its messages from a snapshot
        merge(ev.room);
        if (ev.room.state === "active" && S.selectWhenSeen === ev.room.id) { S.selectWhenSeen = null; select(ev.room.id); return; }
        if (ev.room.state === "active" && !S.selected) S.selected = ev.room.id;
        break;
      case "room.revoked":
        if (S.rooms[ev.room.id] && S.rooms[ev.room.id].state === "offered") {
          if (ev.reason === "lapsed") {
            // The server sets an agent who let an offer time out to Unavailable: say so plainly.
            S.lapsed = true;
            toast("You were set to Unavailable because an offer timed out. The conversation went to the next agent.");
          } else if (ev.reason !== "rejected") {
            toast("The offer from " + contactLabel(ev.room) + " was taken back.");
          }
        } else if (S.rooms[ev.room.id] && ev.reason === "transferred") {
          toast("The conversation with " + contactLabel(ev.room) + " was transferred.");
        }
        delete S.rooms[ev.room.id];
        if (S.selected === ev.room.id) S.selected = null;
        break;
      case "room.closed":
        var was = S.rooms[ev.room.id];
        delete S.rooms[ev.room.id];
        delete S.unread[ev.room.id];
        if (S.selected === ev.room.id && was) S.ended = Object.assign({}, was, ev.room, { messages: was.messages });
        else if (was && was.state === "active") toast("The conversation with " + contactLabel(ev.room) + " ended: " + reasonText(ev.room.close_reason) + ".");
        break;
      case "room.message":
        var room = S.rooms[ev.room_id] || (S.ended && S.ended.id === ev.room_id ? S.ended : null);
        if (!room) { live.resync(); return; }
        if (!room.messages.some(function (m) { return m.id === ev.message.id; })) room.messages.push(ev.message);
        // R7: every text sent or received restarts the inactivity timer. Use the server's value when the
        // event carries it; otherwise the same rule from the message's time (a snapshot corrects any drift).
        if (ev.expires_at) room.expires_at = ev.expires_at;
        else if (room.state === "active" && room.expires_at && ev.message.created_at && config.session_timeout) {
          var restarted = Date.parse(ev.message.created_at) + config.session_timeout * 1000;
          if (restarted > Date.parse(room.expires_at)) room.expires_at = new Date(restarted).toISOString();
        }
        if (ev.message.direction === "inbound" && (ev.room_id !== S.selected || document.hidden)) {
          S.unread[ev.room_id] = (S.unread[ev.room_id] || 0) + 1;
          flashTitle();
        }
        break;
      case "message.status":
        var target = S.rooms[ev.room_id] || (S.ended && S.ended.id === ev.room_id ? S.ended : null);
        (target ? target.messages : []).forEach(function (m) {
          if (m.id === ev.message_id) { m.status = ev.status; m.error_code = ev.error_code; m.error_message = ev.error_message; }
        });
        break;
      case "agent.state":
        if (S.agent) { S.agent.state = ev.state; S.agent.state_reason = ev.reason || ""; }
        if (ev.state !== "unavailable") S.lapsed = false;
        break;
      default:
        return;
    }
    renderAll();
  }

  // ---- rendering ------------------------------------------------------------------------
  function renderAll() {
    $("ws-main").classList.toggle("is-thread", S.view === "thread" && !!current());
    renderBar();
    renderOffers();
    renderRooms();
    renderThread();
    updateTitle();
    tick();
  }

  function renderBar() {
    var a = S.agent;
    if (!a) return;
    var chat = 0, sms = 0;
    Object.values(S.rooms).forEach(function (r) { if (r.channel === "chat") chat++; else sms++; });
    var held = chat + sms;
    var load = $("load");
    L.replace(load, [
      h("span.load-text", { "data-testid": "load" }, chat + " chat · " + sms + " SMS of " + a.session_limit),
      h("span.load-meter", { "aria-hidden": "true" },
        Array.from({ length: a.session_limit }, function (_, i) {
          return h("i" + (i < chat ? ".is-chat" : i < held ? ".is-sms" : ""));
        })),
    ]);
    load.classList.toggle("is-full", held >= a.session_limit);
    load.title = held >= a.session_limit ? "At your session limit: no new offers until a conversation ends" : L.plural(a.session_limit - held, "more conversation") + " can be offered";
    document.querySelectorAll("[data-set-state]").forEach(function (b) {
      var on = b.dataset.setState === a.state;
      b.classList.toggle("is-on", on);
      b.setAttribute("aria-pressed", on ? "true" : "false");
    });
    var hint = $("state-hint");
    hint.textContent = a.state === "available" ? "" : a.state === "logged_out" ? "Logged out — set yourself available to receive texts" :
      S.lapsed ? "You were set to Unavailable because an offer timed out" :
      a.state_reason ? "Unavailable · " + a.state_reason + " — no new offers" : "Unavailable — no new offers";
    hint.dataset.testid = "state-hint";
    hint.hidden = a.state === "available";
    $("new-text").hidden = !(a.channels || []).includes("sms") && (a.channels || []).length > 0;
  }

  function renderOffers() {
    var list = offers();
    $("offers-count").textContent = list.length ? String(list.length) : "";
    var key = JSON.stringify(list.map(function (r) {
      return [r.id, r.channel, contactLabel(r), r.offer_expires_at, r.poc_number, r.skill_name, ((r.messages || [])[0] || {}).id,
        r.transfer_note, !!S.pending["accept:" + r.id], !!S.pending["reject:" + r.id]];
    }));
    L.replace($("offers"), list.length ? list.map(offerCard) :
      h("p.empty", { "data-testid": "offers-empty" }, h("strong", "No offers"), " — you'll see new texts here"), key);
  }

  function offerCard(r) {
    var first = (r.messages || [])[0];
    var busy = S.pending["accept:" + r.id] || S.pending["reject:" + r.id];
    return h("article.offer", { "data-room": r.id, "data-testid": "offer" },
      h("div.offer-head",
        h("span.chan.chan-" + r.channel, r.channel === "chat" ? "Chat" : "SMS"),
        h("strong.offer-contact", contactLabel(r)),
        h("span.countdown", { "data-deadline": r.offer_expires_at, "data-kind": "offer", title: "Time left to accept" })),
      h("div.offer-meta",
        r.channel === "sms" ? h("span", "texted ", h("b", L.phone(r.poc_number))) : h("span", "web chat"),
        r.skill_name ? h("span.skill", r.skill_name) : null),
      first ? h("p.offer-body", first.body) : null,
      r.transfer_note ? h("p.offer-note", { "data-testid": "offer-note" }, h("b", "Transferred: "), r.transfer_note) : null,
      h("div.offer-actions",
        h("button.btn.btn-accept", { type: "button", disabled: busy, "data-testid": "accept", onclick: function () { accept(S.rooms[r.id] || r); } },
          S.pending["accept:" + r.id] ? "Accepting…" : "Accept"),
        h("button.btn.btn-reject", { type: "button", disabled: busy, "data-testid": "reject", onclick: function () { reject(S.rooms[r.id] || r); } },
          "Reject")));
  }

  function renderRooms() {
    var list = actives();
    var key = JSON.stringify([S.selected, list.map(function (r) {
      var last = (r.messages || [])[(r.messages || []).length - 1] || {};
      return [r.id, r.channel, contactLabel(r), S.unread[r.id] || 0, last.id, last.body, r.expires_at, waitingSince(r)];
    })]);
    L.replace($("rooms"), list.length ? list.map(function (r) {
      var last = (r.messages || [])[r.messages.length - 1];
      var n = S.unread[r.id] || 0;
      var sel = r.id === S.selected;
      return h("button.room-tab" + (sel ? ".is-selected" : ""), {
        type: "button", role: "tab", "aria-selected": sel ? "true" : "false", "data-room": r.id, "data-testid": "room-tab",
        onclick: function () { select(r.id); },
      },
        h("span.room-tab-top",
          h("span.chan.chan-" + r.channel, r.channel === "chat" ? "Chat" : "SMS"),
          h("strong", contactLabel(r)),
          n ? h("span.badge", { "data-testid": "unread", title: n + " unread" }, String(n)) : null),
        h("span.room-tab-last", last ? (last.direction === "outbound" ? "You: " : "") + last.body : "No messages yet"),
        r.expires_at ? h("span.countdown.small", { "data-deadline": r.expires_at, "data-kind": "session" }) : null,
        waitingClock(r));
    }) : h("p.empty", "No active conversations. Accept an offer or start a new text."), key);
  }

  /** Since when the contact waits for an answer: their oldest text after the last one an agent wrote
   * (automatic replies do not count as an answer). None when nothing is unanswered. */
  function waitingSince(r) {
    var since = null;
    (r.messages || []).forEach(function (m) {
      if (m.direction === "outbound" && !m.automatic) since = null;
      else if (m.direction === "inbound" && since === null) since = m.created_at;
    });
    return since;
  }
  function waitingClock(r) {
    var since = waitingSince(r);
    return since ? h("span.waiting-since.small", { "data-testid": "waiting-since", title: "The contact has waited this long for an answer" },
      "Waiting ", h("span", { "data-since": since })) : null;
  }

  function statusText(m) {
    if (m.direction === "inbound") return "";
    if (m.status === "failed" || m.status === "undelivered") return (labels.message_status[m.status] || m.status) + (m.error_message ? ": " + m.error_message : m.error_code ? " (" + m.error_code + ")" : "");
    return labels.message_status[m.status] || m.status;
  }

  function reasonText(code) { return (labels.close_reason[code] || code || "closed").toLowerCase(); }

  // Which room is open, for the page's other panels (static/js/contact-card.js listens).
  function roomShown(r) {
    var inbound = r ? (r.messages || []).filter(function (m) { return m.direction === "inbound"; }) : [];
    document.dispatchEvent(new CustomEvent("cx:room", { detail: r ? { id: r.id, channel: r.channel, state: r.state, contact_number: r.contact_number,
      last_inbound: inbound.length ? inbound[inbound.length - 1].id : null } : null }));
  }
  function renderThread() {
    var r = current();
    var head = $("thread-head"), list = $("messages"), composer = $("composer");
    if (!r) {
      L.replace(head, []);
      head.hidden = true;
      composer.hidden = true;
      L.replace(list, h("div.thread-empty",
        h("div.thread-empty-icon", { "aria-hidden": "true" }, h("span.bubble-icon")),
        h("h2", offers().length ? "An offer is waiting" : "No conversation selected"),
        h("p", offers().length ? "Accept it on the left to start the conversation." :
          actives().length ? "Pick a conversation on the left." : "When a contact texts in, the offer appears on the left.")));
      $("history").hidden = true;
      roomShown(null);
      return;
    }
    var closed = r.state === "closed", offered = r.state === "offered";
    head.hidden = false;
    var waiting = offers().length;
    // Drawn again only when what it shows changed (a delivery report re-draws the thread, not its buttons);
    // its buttons act on the room as it is now.
    var headKey = JSON.stringify([r.id, r.state, r.expires_at, r.close_reason, r.channel, r.poc_number, r.skill_name, r.direction,
      contactLabel(r), waiting]);
    var now = function () { return current() || r; };
    L.replace(head, [
      h("button.btn.btn-ghost.thread-back", { type: "button", "data-testid": "back", onclick: showList, "aria-label": "Back to the conversation list" },
        "‹ Conversations", waiting ? h("span.count", { title: L.plural(waiting, "waiting offer") }, String(waiting)) : null),
      h("div.thread-who",
        h("h2", { "data-testid": "thread-contact" }, contactLabel(r)),
        h("div.thread-meta",
          h("span.chan.chan-" + r.channel, r.channel === "chat" ? "Chat" : "SMS"),
          r.channel === "sms" ? h("span", "via ", h("b", L.phone(r.poc_number))) : null,
          r.skill_name ? h("span.skill", r.skill_name) : null,
          r.direction === "outbound" ? h("span.tag", "Outbound") : null)),
      h("div.thread-actions",
        closed ? h("span.ended-tag", "Ended · " + reasonText(r.close_reason)) :
          r.expires_at ? h("span.timer", { title: "The conversation ends after this much inactivity" },
            h("span.countdown", { "data-deadline": r.expires_at, "data-kind": "session", "data-testid": "time-left" }), " left") : null,
        h("button.btn.btn-ghost", { type: "button", "data-testid": "history-button", "aria-label": "Previous conversations", onclick: function () { loadHistory(now()); } },
          h("span.label-long", "Previous conversations"), h("span.label-short", "History")),
        closed || offered ? null : h("button.btn.btn-ghost", { type: "button", "data-testid": "transfer", onclick: function () { openTransfer(now()); } }, "Transfer"),
        closed ? h("button.btn.btn-ghost", { type: "button", onclick: dismissEnded }, "Close") :
          offered ? null : h("button.btn.btn-danger", { type: "button", "data-testid": "end", onclick: function () { confirmEnd(now()); } }, "End")),
    ], headKey);
    var atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40 || list.dataset.room !== String(r.id);
    list.dataset.room = r.id;
    var items = [];
    var lastDay = null;
    (r.messages || []).forEach(function (m) {
      var day = m.created_at ? new Date(m.created_at).toDateString() : null;
      if (day && day !== lastDay) {
        items.push(h("li.day", new Date(m.created_at).toLocaleDateString([], { weekday: "long", month: "long", day: "numeric" })));
        lastDay = day;
      }
      var failed = m.status === "failed" || m.status === "undelivered";
      items.push(h("li.msg.msg-" + m.direction + (failed ? ".is-failed" : "") + (m.automatic ? ".is-auto" : ""), { "data-message": m.id, "data-testid": "message" },
        h("div.msg-body", m.body),
        h("div.msg-meta",
          m.automatic ? h("span", "Automatic reply") : m.direction === "outbound" && m.author ? h("span", m.author) : null,
          h("time", { datetime: m.created_at }, L.clock(m.created_at)),
          m.direction === "outbound" ? h("span.msg-status.status-" + m.status, { "data-testid": "status" }, statusText(m)) : null)));
    });
    if (r.transfer_note) items.unshift(h("li.transfer-note", { "data-testid": "thread-transfer-note" }, h("b", "Note from the transfer: "), r.transfer_note));
    if (closed) items.push(h("li.day.day-end", "Conversation ended · " + reasonText(r.close_reason) +
      (r.disposition_name ? " · " + r.disposition_name : "") + " · transcript kept"));
    L.replace(list, items.length ? h("ol.msg-list", items) : h("p.empty", "No messages yet."));
    if (atBottom) list.scrollTop = list.scrollHeight;
    composer.hidden = closed || offered;
    if (!composer.hidden) {
      var input = $("composer-body");
      if (input.dataset.room !== String(r.id)) {
        if (input.dataset.room) S.drafts[input.dataset.room] = input.value;
        input.value = S.drafts[r.id] || "";
        input.dataset.room = r.id;
        setComposerError("");
        updateCounter();
      }
      $("composer-counter").hidden = false;
    }
    roomShown(r);  // after the thread is drawn: the notes panel adds its notes to it
  }

  function updateTitle() {
    var n = offers().length + Object.values(S.unread).reduce(function (a, b) { return a + b; }, 0);
    document.title = (n ? "(" + n + ") " : "") + "Agent workspace · cxsms";
  }
  function flashTitle() { updateTitle(); }

  var toastTimer = null;
  function toast(text) {
    var el = $("toast");
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, 6000);
  }
  $("toast").addEventListener("click", function () { $("toast").hidden = true; });  // read it: tap it away
  function error(text) { L.banner($("error-banner"), text, "error"); }

  // countdowns: every second, from the server's clock
  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = L.secondsUntil(el.dataset.deadline);
      if (left === null) { el.textContent = ""; return; }
      var offer = el.dataset.kind === "offer";
      el.textContent = offer ? (left > 0 ? L.duration(left) : "expiring…") : L.duration(left);
      el.classList.toggle("is-urgent", offer ? left <= 10 : left <= 300);
    });
    document.querySelectorAll("#rooms [data-since]").forEach(function (el) {
      var waited = L.secondsSince(el.dataset.since);
      el.textContent = L.duration(waited);
      el.parentNode.classList.toggle("is-long", waited >= 120);  // two minutes without an answer stands out
    });
  }
  setInterval(tick, 1000);

  // ---- actions --------------------------------------------------------------------------
  function showList() {
    S.view = "list";
    $("history").hidden = true;
    renderAll();
  }
  function select(id) {
    S.selected = id;
    S.view = "thread";
    delete S.unread[id];
    if (S.ended && S.ended.id !== id) S.ended = null;
    $("history").hidden = true;
    renderAll();
    tick();
    var input = $("composer-body");
    if (!$("composer").hidden) input.focus();
  }
  function dismissEnded() {
    S.ended = null;
    S.view = "list";
    S.selected = (actives()[0] || {}).id || null;
    renderAll();
  }

  /** An action over the socket when it is open (one frame, no HTTP request), else the REST API. */
  function perform(command, method, url, body) { return live.perform(command, method, url, body); }
  function roomCommand(type, id, extra) { return Object.assign({ type: type, room: id }, extra || {}); }

  /** Run an action once; on failure show why and resync (the server may know better). */
  function act(key, method, url, body, command) {
    if (S.pending[key]) return Promise.resolve(null);
    S.pending[key] = true;
    renderAll();
    return perform(command, method, url, body).then(function (res) {
      delete S.pending[key];
      if (!res.ok) { error(errorLabel(key) + L.errorText(res)); live.resync(); }
      renderAll();
      tick();
      return res;
    });
  }
  function errorLabel(key) {
    var k = key.split(":")[0];
    return { accept: "Could not accept: ", reject: "Could not reject: ", end: "Could not end the conversation: ", state: "Could not change your state: " }[k] || "";
  }

  function accept(r) {
    S.selectWhenSeen = r.id;
    act("accept:" + r.id, "POST", "/api/v1/rooms/" + r.id + "/accept/", undefined, roomCommand("room.accept", r.id)).then(function (res) {
      if (res && res.ok) {
        if (res.data && res.data.id === r.id && res.data.state && S.rooms[r.id]) merge(Object.assign({}, res.data, { messages: undefined }));
        if (r.transferred_by) live.resync(); // a transferred room has a thread before its offer: take it whole from a snapshot
        // The push may have opened it already (and the agent moved on since): open it once, whichever comes first.
        if (S.rooms[r.id] && S.rooms[r.id].state === "active") { if (S.selectWhenSeen === r.id) { S.selectWhenSeen = null; select(r.id); } }
        else setTimeout(function () { if (S.rooms[r.id] && S.rooms[r.id].state === "offered") live.resync(); }, 2000);
      } else {
        S.selectWhenSeen = null;
      }
    });
  }
  function reject(r) {
    act("reject:" + r.id, "POST", "/api/v1/rooms/" + r.id + "/reject/", undefined, roomCommand("room.reject", r.id)).then(function (res) {
      if (res && res.ok) { delete S.rooms[r.id]; renderAll(); }
    });
  }

  // ---- wrap-up: ending a conversation with a disposition and a summary --------------------
  var dispositions = null; // loaded once: [{id, name, skills, required, is_active}]
  var loadingDispositions = null;
  function loadDispositions() {
    if (dispositions) return Promise.resolve(dispositions);
    if (!loadingDispositions) {
      loadingDispositions = L.api("GET", "/api/v1/dispositions/").then(function (res) {
        loadingDispositions = null;
        if (!res.ok) return [];  // asked again at the next End; the server still checks a required one
        dispositions = L.rows(res.data).filter(function (d) { return d.is_active !== false; });
        return dispositions;
      });
    }
    return loadingDispositions;
  }
  function applicable(r) {
    return (dispositions || []).filter(function (d) { return !d.skills.length || d.skills.indexOf(r.skill) >= 0; });
  }
  function setDialogError(id, text) { var el = $(id); el.textContent = text; el.hidden = !text; }
  function confirmEnd(r) {
    var dlg = $("end-dialog");
    $("end-dialog-who").textContent = contactLabel(r);
    dlg.dataset.room = r.id;
    setDialogError("end-error", "");
    $("wrapup-summary").value = "";
    // The dialog opens at once; its wrap-up part (and the button) wait for the dispositions, read once per page.
    var confirm = dlg.querySelector("[data-testid=confirm-end]");
    if (!dispositions) { $("wrapup").hidden = true; confirm.disabled = true; }
    if (!dlg.open) dlg.showModal();
    loadDispositions().then(function () {
      if (Number(dlg.dataset.room) !== r.id) return;
      var list = applicable(r), required = list.some(function (d) { return d.required; });
      $("wrapup").hidden = !list.length;
      $("wrapup-required").textContent = required ? "(required)" : "(optional)";
      L.replace($("wrapup-disposition"), [h("option", { value: "" }, required ? "— choose one —" : "— none —")].concat(
        list.map(function (d) { return h("option", { value: d.id }, d.name); })));
      dlg.dataset.required = required ? "1" : "";
      confirm.disabled = false;
    });
  }
  $("end-cancel").addEventListener("click", function () { $("end-dialog").close(); });
  $("wrapup-disposition").addEventListener("change", function () { setDialogError("end-error", ""); });
  $("end-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var dlg = $("end-dialog"), id = Number(dlg.dataset.room);
    var disposition = $("wrapup").hidden ? null : ($("wrapup-disposition").value ? Number($("wrapup-disposition").value) : null);
    var summary = $("wrapup").hidden ? "" : $("wrapup-summary").value.trim();
    if (dlg.dataset.required && !disposition) { setDialogError("end-error", "Choose a disposition to end this conversation."); return; }
    var body = { disposition: disposition, summary: summary };
    perform(roomCommand("room.end", id, body), "POST", "/api/v1/rooms/" + id + "/end/", body).then(function (res) {
      if (!res.ok) { setDialogError("end-error", L.errorText(res, ["disposition", "summary", "state"])); return; }
      dlg.close();
    });
  });

  // ---- transfer ----------------------------------------------------------------------------
  function transferTo() { return document.querySelector("input[name=transfer-to]:checked").value; }
  function showTransferTarget() {
    $("transfer-agent-field").hidden = transferTo() !== "agent";
    $("transfer-skill-field").hidden = transferTo() !== "skill";
  }
  document.querySelectorAll("input[name=transfer-to]").forEach(function (el) { el.addEventListener("change", showTransferTarget); });
  function openTransfer(r) {
    var dlg = $("transfer-dialog");
    dlg.dataset.room = r.id;
    $("transfer-who").textContent = contactLabel(r);
    $("transfer-note").value = "";
    setDialogError("transfer-error", "");
    L.replace($("transfer-agent"), h("option", { value: "" }, "Loading…"));
    L.replace($("transfer-skill"), h("option", { value: "" }, "Loading…"));
    showTransferTarget();
    dlg.showModal();
    L.api("GET", "/api/v1/rooms/" + r.id + "/transfer/").then(function (res) {
      if (!res.ok) { setDialogError("transfer-error", L.errorText(res)); return; }
      var agents = res.data.agents, free = agents.filter(function (a) { return a.available; });
      L.replace($("transfer-agent"), [h("option", { value: "" }, free.length ? "— choose an agent —" : "Nobody can take it now")].concat(
        agents.map(function (a) {
          return h("option", { value: a.id, disabled: !a.available, title: a.reason },
            a.name + (a.available ? " · " + a.held + " of " + a.limit : " — " + a.reason));
        })));
      L.replace($("transfer-skill"), res.data.skills.map(function (sk) {
        return h("option", { value: sk.id, selected: sk.id === r.skill }, sk.name + (sk.id === r.skill ? " (this queue)" : ""));
      }));
    });
  }
  $("transfer-cancel").addEventListener("click", function () { $("transfer-dialog").close(); });
  $("transfer-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var id = Number($("transfer-dialog").dataset.room), to = transferTo();
    var target = Number($(to === "agent" ? "transfer-agent" : "transfer-skill").value);
    if (!target) { setDialogError("transfer-error", to === "agent" ? "Choose an agent." : "Choose a queue."); return; }
    var body = { note: $("transfer-note").value };
    body[to] = target;
    L.api("POST", "/api/v1/rooms/" + id + "/transfer/", body).then(function (res) {
      if (!res.ok) { setDialogError("transfer-error", L.errorText(res, ["agent", "skill", "note", "state"])); return; }
      $("transfer-dialog").close();
      delete S.rooms[id];
      if (S.selected === id) { S.selected = (actives()[0] || {}).id || null; S.view = "list"; }
      toast("Transferred. " + (to === "agent" ? "The agent gets it as an offer." : "It waits in that queue."));
      renderAll();
    });
  });

  function setState(state, reason) {
    var before = S.agent.state, beforeReason = S.agent.state_reason;
    S.agent.state = state; // optimistic; the agent.state event (or a resync) confirms
    renderBar();
    var body = { state: state };
    if (reason) body.reason = reason;
    act("state", "PUT", "/api/v1/me/state/", body).then(function (res) {
      if (res && !res.ok) { S.agent.state = before; S.agent.state_reason = beforeReason; renderBar(); }
      else if (res) { S.agent.state_reason = res.data.reason || ""; renderBar(); }
    });
  }
  document.querySelectorAll("[data-set-state]").forEach(function (b) {
    b.addEventListener("click", function () {
      var state = b.dataset.setState;
      // Unavailable asks why when the tenant has reasons (unavailable-reasons.js); pressed again, it changes the reason.
      var asks = state === "unavailable" && window.CxReasons && window.CxReasons.any();
      if (!S.agent || (S.agent.state === state && !asks)) return;
      if (asks) { window.CxReasons.ask(b.parentNode, S.agent.state === state ? S.agent.state_reason : null, function (id) { setState(state, id); }); return; }
      setState(state);
    });
  });

  // composer
  var input = $("composer-body");
  function updateCounter() {
    var r = current();
    var text = input.value;
    var el = $("composer-counter");
    if (r && r.channel === "chat") {
      el.textContent = text.length + " characters";
      el.classList.toggle("is-over", text.length > MAX_BODY);
      return;
    }
    var info = smsInfo(text);
    var parts = [];
    if (!text) parts.push("0 / 160 · GSM-7");
    else if (info.segments <= 1) parts.push(info.units + " / " + info.perSegment);
    else parts.push(info.units + " characters");
    if (text) parts.push(info.segments + (info.segments === 1 ? " segment" : " segments"));
    if (text) parts.push(info.encoding === "gsm7" ? "GSM-7" : "UCS-2 (70 per text" + (info.culprit ? ", because of “" + info.culprit + "”" : "") + ")");
    el.textContent = parts.join(" · ");
    el.dataset.segments = info.segments;
    el.dataset.encoding = info.encoding;
    el.classList.toggle("is-ucs2", info.encoding === "ucs2" && !!text);
    el.classList.toggle("is-over", text.length > MAX_BODY);
  }
  input.addEventListener("input", function () { updateCounter(); setComposerError(""); updateCanned(); });
  input.addEventListener("keydown", function (e) {
    // The list is open, or about to be (a "/" typed before the canned responses first arrived).
    if ((!$("canned").hidden || (!canned && slashQuery())) && cannedKey(e)) return;
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); $("composer").requestSubmit(); }
  });

  // ---- canned responses: "/" at the start of a word opens a searchable list --------------------
  var canned = null, cannedPick = 0, cannedMatches = [];
  function loadCanned() {
    if (canned) return Promise.resolve(canned);
    return L.api("GET", "/api/v1/canned-responses/").then(function (res) { canned = res.ok ? L.rows(res.data) : []; return canned; });
  }
  // Back from the canned responses page (another tab): read the list again, keeping the old one
  // until the answer comes (a "/" typed meanwhile still finds its matches at once).
  window.addEventListener("focus", function () {
    if (canned) L.api("GET", "/api/v1/canned-responses/").then(function (res) { if (res.ok) canned = L.rows(res.data); });
  });
  function manageLink() {
    return h("a.canned-manage", { href: "/canned-responses/", target: "_blank", rel: "noopener", "data-testid": "canned-manage",
      onmousedown: function (e) { e.preventDefault(); } }, "Add or change your own ↗");
  }
  function slashQuery() {
    var upto = input.value.slice(0, input.selectionStart);
    var m = /(^|\s)\/([^\s\/]*)$/.exec(upto);
    return m ? { query: m[2].toLowerCase(), start: upto.length - m[2].length - 1 } : null;
  }
  function merged(body, r) {
    var contact = r.contact_name || (r.channel === "chat" ? "there" : "");
    var agentName = (S.agent && (S.agent.first_name || S.agent.username)) || "";
    return body.replace(/\{contact_name\}/g, contact).replace(/\{agent_name\}/g, agentName).replace(/ +([,.!?])/g, "$1");
  }
  function cannedFor(list, query) {
    return list.filter(function (c) {
      return !query || (c.shortcut || "").toLowerCase().indexOf(query) === 0 || c.name.toLowerCase().indexOf(query) >= 0;
    }).slice(0, 8);
  }
  function updateCanned() {
    var box = $("canned");
    if (!slashQuery()) { box.hidden = true; return; }
    loadCanned().then(function (list) {
      var q = slashQuery();  // what is typed now, not when the list was asked for
      if (!q) return;
      cannedMatches = cannedFor(list, q.query);
      cannedPick = Math.min(cannedPick, Math.max(cannedMatches.length - 1, 0));
      box.hidden = false;
      L.replace(box, cannedMatches.length ? cannedMatches.map(function (c, i) {
        return h("button.canned-item" + (i === cannedPick ? ".is-active" : ""), { type: "button", role: "option",
          "aria-selected": i === cannedPick ? "true" : "false", "data-testid": "canned-item",
          onmousedown: function (e) { e.preventDefault(); insertCanned(c); } },
          h("span.canned-name", c.name, c.shortcut ? h("code", "/" + c.shortcut) : null, c.owner ? h("span.canned-mine", "yours") : null),
          h("span.canned-body", c.body));
      }).concat([manageLink()]) : [h("p.empty", list.length ? "No canned response matches." : "No canned responses yet."), manageLink()]);
    });
  }
  function cannedKey(e) {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      cannedPick = (cannedPick + (e.key === "ArrowDown" ? 1 : -1) + cannedMatches.length) % Math.max(cannedMatches.length, 1);
      updateCanned();
      return true;
    }
    if (e.key === "Enter" || e.key === "Tab") {
      // The matches of what is typed now: "/te" and a quick Enter must not insert what "/" listed first.
      var q = slashQuery();
      if (!q) return false;
      if (!canned) {  // the list is still on its way: insert when it comes
        e.preventDefault();
        loadCanned().then(function (list) { var now = slashQuery(), m = now ? cannedFor(list, now.query) : []; if (m[0]) insertCanned(m[0]); });
        return true;
      }
      var matches = cannedFor(canned, q.query);
      if (!matches.length) return false;
      e.preventDefault();
      insertCanned(matches[Math.min(cannedPick, matches.length - 1)]);
      return true;
    }
    if (e.key === "Escape") { e.preventDefault(); $("canned").hidden = true; return true; }
    return false;
  }
  function insertCanned(c) {
    var q = slashQuery(), r = current();
    if (!q || !r) return;
    var text = merged(c.body, r);
    input.value = input.value.slice(0, q.start) + text + input.value.slice(input.selectionStart);
    var caret = q.start + text.length;
    input.setSelectionRange(caret, caret);
    $("canned").hidden = true;
    cannedPick = 0;
    updateCounter();
    input.focus();
  }
  input.addEventListener("blur", function () { setTimeout(function () { $("canned").hidden = true; }, 150); });

  function setComposerError(text) {
    var el = $("composer-error");
    el.textContent = text;
    el.hidden = !text;
  }
  $("composer").addEventListener("submit", function (e) {
    e.preventDefault();
    var r = current();
    var body = input.value;
    if (!r || r.state !== "active") return;
    if (!body.trim()) { setComposerError("Type a message first."); return; }
    if (body.length > MAX_BODY) { setComposerError("A text can be at most " + MAX_BODY + " characters."); return; }
    var send = $("composer-send");
    send.disabled = true;
    perform(roomCommand("message.send", r.id, { body: body }), "POST", "/api/v1/rooms/" + r.id + "/messages/", { body: body }).then(function (res) {
      send.disabled = false;
      if (!res.ok) { setComposerError((res.status === 0 ? "" : "Not sent: ") + L.errorText(res, ["body"])); return; }
      if (input.dataset.room === String(r.id)) input.value = "";
      delete S.drafts[r.id];
      updateCounter();
      var m = res.data;
      var room = S.rooms[r.id];
      if (m && m.id && m.body !== undefined && room && !room.messages.some(function (x) { return x.id === m.id; })) {
        room.messages.push(m);
        renderThread();
      }
      input.focus();
    });
  });

  // previous conversations (R9): this contact's first; the business number's (other contacts) on the
  // second tab. Nothing opens by itself: the agent picks the transcript to read.
  var historyFor = { room: null, by: "contact" };
  function loadHistory(r, by) {
    var panel = $("history"), list = $("history-list");
    historyFor = { room: r, by: by || "contact" };
    panel.hidden = false;
    document.querySelectorAll("[data-history-by]").forEach(function (tab) {
      tab.setAttribute("aria-selected", tab.dataset.historyBy === historyFor.by ? "true" : "false");
      tab.hidden = tab.dataset.historyBy === "number" && !r.poc_number;
    });
    var bySms = r.channel === "sms";
    $("history-for").textContent = historyFor.by === "contact" ? "Last ten with " + contactLabel(r) :
      "Last ten on " + (bySms ? L.phone(r.poc_number) : "this chat") + ", with any contact";
    L.replace(list, h("p.empty", "Loading…"));
    L.api("GET", "/api/v1/rooms/" + r.id + "/history/?by=" + historyFor.by).then(function (res) {
      if (historyFor.room !== r || historyFor.by !== (by || "contact")) return; // another tab or room meanwhile
      if (!res.ok) { L.replace(list, h("p.error-text", "Could not load the transcripts: " + L.errorText(res))); return; }
      var items = L.rows(res.data);
      if (!items.length) {
        L.replace(list, h("p.empty", { "data-testid": "history-empty" }, historyFor.by === "contact" ?
          "No earlier conversations with this contact." : "No earlier conversations on this number."));
        return;
      }
      L.replace(list, items.map(function (t) {
        var msgs = t.messages || [];
        // Internal notes among the texts, by time (never sent: marked as notes).
        var lines = msgs.concat((t.notes || []).map(function (n) { return Object.assign({ direction: "note" }, n); }))
          .sort(function (a, b) { return (a.created_at || "").localeCompare(b.created_at || ""); });
        var other = historyFor.by === "number" && t.contact_number !== r.contact_number;
        return h("details.transcript", { "data-testid": "transcript" },
          h("summary",
            h("span.transcript-when", L.dateTime(t.closed_at || t.opened_at)),
            h("span.transcript-who" + (other ? ".is-other" : ""), contactLabel(t)),
            h("span.transcript-meta", [t.agent_username ? "with " + t.agent_username : null, t.close_reason ? reasonText(t.close_reason) : null,
              msgs.length + (msgs.length === 1 ? " message" : " messages")].filter(Boolean).join(" · "))),
          lines.length ? h("ol.msg-list.compact", lines.map(function (m) {
            var note = m.direction === "note";
            return h("li.msg.msg-" + m.direction, note ? { "data-testid": "transcript-note" } : {}, h("div.msg-body", m.body),
              h("div.msg-meta", note ? h("span.note-label", "Internal note") : null, h("time", L.clock(m.created_at)), m.author ? h("span", m.author) : null));
          })) : h("p.empty", "No messages were kept."));
      }));
    });
  }
  document.querySelectorAll("[data-history-by]").forEach(function (tab) {
    tab.addEventListener("click", function () { if (historyFor.room) loadHistory(historyFor.room, tab.dataset.historyBy); });
  });
  $("history-close").addEventListener("click", function () { $("history").hidden = true; });

  // new outbound text (R11)
  var pocsLoaded = false;
  $("new-text").addEventListener("click", function () {
    var dlg = $("outbound-dialog");
    setOutboundError("");
    dlg.showModal();
    if (!pocsLoaded) {
      var select = $("outbound-poc");
      L.replace(select, h("option", { value: "" }, "Loading…"));
      $("outbound-send").disabled = true;  // until the numbers to text from are there
      L.api("GET", "/api/v1/points-of-contact/?channel=sms").then(function (res) {
        $("outbound-send").disabled = false;
        if (!res.ok) { L.replace(select, h("option", { value: "" }, "Not available")); setOutboundError(L.errorText(res)); return; }
        var pocs = L.rows(res.data).filter(function (p) { return p.channel !== "chat" && p.is_active !== false; });
        pocsLoaded = pocs.length > 0;
        L.replace(select, pocs.length ? pocs.map(function (p) {
          return h("option", { value: p.id }, L.phone(p.number) + (p.name ? " — " + p.name : ""));
        }) : h("option", { value: "" }, "No SMS numbers configured"));
      });
    }
    $("outbound-number").focus();
  });
  /** A plausible E.164 number from what was typed; US/Canada 10-digit numbers get +1. */
  function normalizeNumber(raw) {
    var s = raw.trim().replace(/[\s().-]/g, "");
    if (/^00\d/.test(s)) s = "+" + s.slice(2);
    if (/^\d{10}$/.test(s)) s = "+1" + s;
    if (/^1\d{10}$/.test(s)) s = "+" + s;
    return /^\+[1-9]\d{7,14}$/.test(s) ? s : null;
  }
  function setOutboundError(text) { var el = $("outbound-error"); el.textContent = text; el.hidden = !text; }
  $("outbound-body").addEventListener("input", function () {
    var info = smsInfo($("outbound-body").value);
    $("outbound-counter").textContent = $("outbound-body").value ? info.units + " characters · " + info.segments + (info.segments === 1 ? " segment" : " segments") + " · " + (info.encoding === "gsm7" ? "GSM-7" : "UCS-2") : "";
  });
  $("outbound-cancel").addEventListener("click", function () { $("outbound-dialog").close(); });
  $("outbound-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var poc = $("outbound-poc").value, number = normalizeNumber($("outbound-number").value), body = $("outbound-body").value;
    if (!poc) return setOutboundError("Choose the number to text from.");
    if (!number) return setOutboundError("Enter the contact's number in international format, for example +1 202 555 0142.");
    if (!body.trim()) return setOutboundError("Write the first message.");
    if (body.length > MAX_BODY) return setOutboundError("A text can be at most " + MAX_BODY + " characters.");
    var btn = $("outbound-send");
    btn.disabled = true;
    L.api("POST", "/api/v1/rooms/outbound/", { point_of_contact: Number(poc), contact_number: number, body: body }).then(function (res) {
      btn.disabled = false;
      if (!res.ok) return setOutboundError(L.errorText(res));
      $("outbound-dialog").close();
      $("outbound-form").reset();
      $("outbound-counter").textContent = "";
      var id = res.data && (res.data.id || (res.data.room && res.data.room.id) || res.data.room);
      if (id && S.rooms[id]) select(id);
      else { S.selectWhenSeen = id || null; setTimeout(function () { if (S.selectWhenSeen) live.resync(); }, 1500); }
    });
  });

  // For agent-alerts.js (sound, notifications, keyboard shortcuts): the page's own actions, not a copy.
  var eventHooks = [];
  window.CxAgent = {
    onEvent: function (fn) { eventHooks.push(fn); },
    offers: offers, actives: actives, current: current, contactLabel: contactLabel, waitingSince: waitingSince,
    accept: accept, reject: reject, select: select, end: confirmEnd,
  };

  renderAll();
  loadDispositions();  // before the first End, so its dialog is complete when it opens
})();
