/* Supervisor view, continued: the selected room's transcript, read-only and live (transcript.open on
 * /ws/supervisor/, then transcript.message frames), and assigning or transferring it to an agent
 * (REST rooms/{id}/transfer/). Hooks into supervisor.js through window.CxSupervisor. */
(function () {
  "use strict";
  var L = window.CxLive, h = L.h, Sup = window.CxSupervisor;
  var $ = function (id) { return document.getElementById(id); };
  var T = { room: null, data: null, messages: [], notes: [] };

  Sup.on("select", function (id) {
    T.room = id;
    T.data = null;
    T.messages = [];
    $("sup-transcript").hidden = id === null;
    if (id === null) { Sup.live.send({ type: "transcript.close" }); return; }
    L.replace($("sup-transcript-list"), h("li.empty", "Loading…"));
    $("sup-assign").hidden = true;
    Sup.live.send({ type: "transcript.open", room: id });
  });

  Sup.on("snapshot", function (snap) {
    // A new connection (seq 1) follows nothing yet: ask again for the open room.
    if (snap.seq === 1 && T.room !== null) Sup.live.send({ type: "transcript.open", room: T.room });
    if (T.data) {
      var row = snap.rooms.find(function (r) { return r.id === T.room; });
      if (row && (row.state !== T.data.state || row.agent !== T.data.agent)) { Object.assign(T.data, row); render(); }
    }
    // Who can take it changes with the agents' states and loads: list them afresh (not while choosing).
    var agents = snap.agents.map(function (a) { return [a.id, a.state, a.chat + a.sms, a.session_limit].join(":"); }).join(",");
    if (agents !== T.agents && document.activeElement !== $("sup-assign-agent")) {
      T.agents = agents;
      targetsFor = null;
      if (T.data) renderAssign(T.data);
    }
  });

  Sup.on("event", function (ev) {
    if (ev.type === "transcript" && ev.room.id === T.room) {
      T.data = ev.room;
      T.messages = ev.room.messages || [];
      T.notes = ev.room.notes || [];
      render();
    } else if (ev.type === "room.note" && ev.room_id === T.room) {
      if (!T.notes.some(function (n) { return n.id === ev.note.id; })) T.notes.push(ev.note);
      render();
    } else if (ev.type === "transcript.message" && ev.room_id === T.room) {
      if (!T.messages.some(function (m) { return m.id === ev.message.id; })) T.messages.push(ev.message);
      render();
    } else if (ev.type === "error" && T.room !== null && !T.data) {
      L.replace($("sup-transcript-list"), h("li.error-text", ev.detail));
    } else if (ev.room && ev.room.id === T.room && T.data) {
      Object.assign(T.data, ev.room);
      render();
    }
  });

  function render() {
    var r = T.data;
    if (!r) return;
    $("sup-transcript-title").textContent = Sup.contactLabel(r);
    var state = Sup.labels.room_state[r.state] || r.state;
    $("sup-transcript-state").textContent = state + (r.agent_username ? " · " + r.agent_username : "") + (r.skill_name ? " · " + r.skill_name : "");
    var list = $("sup-transcript-list");
    var atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    // Texts and internal notes (never sent) in the order they were written.
    var entries = T.messages.concat((T.notes || []).map(function (n) { return Object.assign({ note: true }, n); }));
    entries.sort(function (a, b) { return a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : 0; });
    L.replace(list, entries.length ? entries.map(function (m) {
      if (m.note) {
        return h("li.sup-msg.sup-msg-note", { "data-testid": "live-transcript-note" }, h("div.sup-msg-body", m.body),
          h("div.sup-msg-meta", "Internal note · never sent · " + (m.author || "someone since removed") + " · ",
            h("time", { datetime: m.created_at }, L.clock(m.created_at))));
      }
      return h("li.sup-msg.sup-msg-" + m.direction + (m.automatic ? ".is-auto" : ""), { "data-testid": "live-transcript-message" },
        h("div.sup-msg-body", m.body),
        h("div.sup-msg-meta", m.automatic ? "Automatic reply · " : m.direction === "outbound" && m.author ? m.author + " · " : "Contact · ",
          h("time", { datetime: m.created_at }, L.clock(m.created_at))));
    }) : h("li.empty", "No messages yet."));
    if (atBottom) list.scrollTop = list.scrollHeight;
    renderAssign(r);
  }

  // ---- assign a queued room, transfer an active one ------------------------------------------
  var targetsFor = null;
  function renderAssign(r) {
    var form = $("sup-assign");
    var can = r.state === "queued" || r.state === "active";
    form.hidden = !can;
    if (!can) { targetsFor = null; return; }
    $("sup-assign-label").textContent = r.state === "queued" ? "Assign to an agent" : "Transfer to an agent";
    $("sup-assign-send").textContent = r.state === "queued" ? "Assign" : "Transfer";
    var key = r.id + ":" + r.state + ":" + r.agent;
    if (targetsFor === key) return;
    targetsFor = key;
    L.api("GET", "/api/v1/rooms/" + r.id + "/transfer/").then(function (res) {
      if (!res.ok || targetsFor !== key) return;
      L.replace($("sup-assign-agent"), [h("option", { value: "" }, "Choose an agent…")].concat(res.data.agents.map(function (a) {
        return h("option", { value: a.id, disabled: !a.available, title: a.reason || null },
          a.name + (a.available ? " (" + a.held + " of " + a.limit + ")" : " — " + a.reason));
      })));
    });
  }
  $("sup-assign").addEventListener("submit", function (e) {
    e.preventDefault();
    var agent = Number($("sup-assign-agent").value), err = $("sup-assign-error");
    err.hidden = true;
    if (!agent) { err.textContent = "Choose an available agent."; err.hidden = false; return; }
    $("sup-assign-send").disabled = true;
    L.api("POST", "/api/v1/rooms/" + T.room + "/transfer/", { agent: agent }).then(function (res) {
      $("sup-assign-send").disabled = false;
      targetsFor = null;
      if (!res.ok) { err.textContent = L.errorText(res, ["agent", "state"]); err.hidden = false; return; }
      Object.assign(T.data, res.data);
      render();
    });
  });
})();
