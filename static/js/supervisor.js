/* Supervisor view: renders from /ws/supervisor/ snapshots (the server re-sends one, throttled, after
 * events); events also feed the activity list. Routing decisions and forced disconnect use the REST API. */
(function () {
  "use strict";
  var L = window.CxLive, h = L.h;
  var config = JSON.parse(document.getElementById("supervisor-config").textContent);
  var labels = config.labels;
  var $ = function (id) { return document.getElementById(id); };
  var S = { snap: null, selected: null, activity: [], decisionsShown: null, activityLoaded: false, liveSince: null };
  var hooks = { snapshot: [], event: [], select: [] };  // supervisor-tools.js (the live transcript, assign) listens here

  var live = L.connect(config.ws, {
    snapshot: function (snap) {
      S.snap = snap;
      render();
      followDecisions();
      if (!S.activityLoaded) loadActivity();
      hooks.snapshot.forEach(function (fn) { fn(snap); });
    },
    event: function (ev) {
      addActivity(ev);
      if (/^room\./.test(ev.type) && ev.room && ev.room.id === S.selected) loadDecisions(S.selected);  // a new decision comes with these
      hooks.event.forEach(function (fn) { fn(ev); });
    },
    status: L.statusIndicator(document.querySelector("[data-live-status]")),
  });
  window.CxSupervisor = {
    live: live, labels: labels, snap: function () { return S.snap; }, selected: function () { return S.selected; },
    on: function (kind, fn) { hooks[kind].push(fn); }, contactLabel: contactLabel, agentName: agentName,
  };

  function agentName(id) {
    var a = S.snap && S.snap.agents.find(function (x) { return x.id === id; });
    return a ? a.username : id ? "agent " + id : "—";
  }
  function skillName(id) {
    var q = S.snap && S.snap.queues.find(function (x) { return x.skill === id; });
    return q ? q.name : id ? "skill " + id : "—";
  }
  function contactLabel(r) { return r.channel === "chat" ? (r.contact_name || "Web chat visitor") : L.phone(r.contact_number); }
  function chan(c) { return h("span.chan.chan-" + c, c === "chat" ? "Chat" : "SMS"); }

  function render() {
    var s = S.snap;
    var t = s.totals;
    $("workers-banner").hidden = !s.workers || s.workers.seen > 0;
    L.replace($("tiles"), [
      tile("Agents available", t.agents_available, "of " + s.agents.length + " agents", "tile-available"),
      tile("Active", t.active, t.active_sms + " SMS · " + (t.active - t.active_sms) + " chat", ""),
      tile("Offered", t.offered, "waiting for an agent to accept", ""),
      tile("In queue", t.queued, oldestText(), t.queued ? "tile-warn" : ""),
    ]);
    renderAgents();
    renderQueues();
    renderRooms();
    tick();
  }
  function tile(label, value, sub, cls) {
    return h("div.tile" + (cls ? "." + cls : ""), h("span.tile-label", label), h("strong.tile-value", { "data-testid": "tile-" + label.toLowerCase().replace(/\s+/g, "-") }, String(value)),
      h("span.tile-sub", sub));
  }
  function oldestText() {
    var oldest = S.snap.queues.map(function (q) { return q.oldest_queued_at; }).filter(Boolean).sort()[0];
    return oldest ? h("span", "oldest waiting ", h("span", { "data-since": oldest })) : "nobody waiting";
  }

  function renderAgents() {
    var agents = S.snap.agents;
    // Not while the supervisor is choosing a state: the next snapshot renders it.
    if (document.activeElement && document.activeElement.classList.contains("state-choose")) return;
    L.replace($("agents"), agents.length ? h("table.grid", { "data-testid": "agents-table" },
      h("thead", h("tr", h("th", "Agent and skills"), h("th", "State"), h("th", "Load"))),
      h("tbody", agents.map(function (a) {
        var held = a.chat + a.sms;
        return h("tr", { "data-agent": a.username },
          h("td",
            h("div.cell-line", h("strong", a.name), a.name !== a.username ? h("span.muted.small", a.username) : null),
            h("div.skills", a.skills.length ? a.skills.map(function (sk) {
              return h("span.skill.skill-" + sk.channel, { title: sk.channel === "chat" ? "Chat skill" : "SMS skill" }, sk.name);
            }) : h("span.muted.small", "no skills"))),
          h("td.nowrap", h("span.state.state-" + a.state, labels.agent_state[a.state] || a.state),
            a.state_reason ? h("span.state-reason", { "data-testid": "agent-reason" }, a.state_reason) : null,
            h("div.muted.small", "for ", h("span", { "data-since": a.state_changed_at })),
            stateChooser(a)),
          h("td", h("div.load-cell" + (held >= a.session_limit ? ".is-full" : ""),
            h("span", { "data-testid": "agent-load" }, a.chat + " chat · " + a.sms + " SMS of " + a.session_limit),
            h("span.bar", h("i", { style: "width:" + Math.min(100, Math.round(100 * held / a.session_limit)) + "%" })))));
      }))) : h("p.empty", "No agents yet. Administrators add them in the console."));
  }

  /** A supervisor sets an agent's state (REST users/{id}/state/); the snapshot that follows shows it. */
  function stateChooser(a) {
    return h("select.state-choose", {
      "aria-label": "Set " + a.username + "'s state", "data-testid": "agent-state-select",
      onchange: function (e) {
        var sel = e.target, state = sel.value;
        sel.disabled = true;
        L.api("PUT", "/api/v1/users/" + a.id + "/state/", { state: state }).then(function (res) {
          sel.disabled = false;
          if (!res.ok) L.banner($("error-banner"), "Could not change " + a.username + "'s state: " + L.errorText(res, ["state"]));
          else addActivity({ type: "agent.state", agent: a.id, state: state, by_you: true });
        });
      },
    }, Object.keys(labels.agent_state).map(function (k) { return h("option", { value: k, selected: k === a.state }, labels.agent_state[k]); }));
  }

  function renderQueues() {
    var qs = S.snap.queues.filter(function (q) { return q.direction !== "outbound"; });
    L.replace($("queues"), qs.length ? h("table.grid", { "data-testid": "queues-table" },
      h("thead", h("tr", h("th", "Skill"), h("th.num", "Waiting"), h("th", "Oldest"), h("th.num", { title: "Available agents holding the skill" }, "Available"))),
      h("tbody", qs.map(function (q) {
        return h("tr" + (q.waiting ? ".is-waiting" : ""), { "data-queue": q.name },
          h("td", h("div.queue-name", chan(q.channel), " ", h("strong", q.name)), h("div.muted.small", q.offered + " offered · " + q.active + " active"),
            q.waiting_reason ? h("div.queue-why", { "data-testid": "queue-reason" }, q.waiting_reason) : null),
          h("td.num", { "data-testid": "queue-waiting" }, String(q.waiting)),
          h("td", q.oldest_queued_at ? h("span.wait", { "data-since": q.oldest_queued_at }) : h("span.muted", "—")),
          h("td.num" + (q.waiting && !q.agents_available ? ".is-alert" : ""), String(q.agents_available)));
      }))) : h("p.empty", "No inbound skills configured."));
  }

  function renderRooms() {
    var rooms = S.snap.rooms;
    $("rooms-count").textContent = rooms.length ? String(rooms.length) : "";
    L.replace($("rooms"), rooms.length ? h("table.grid.grid-click", { "data-testid": "rooms-table" },
      h("thead", h("tr", h("th", "Contact"), h("th", "Number texted"), h("th", "Skill"), h("th", "Agent"), h("th", "State"), h("th", "Time left"))),
      h("tbody", rooms.map(function (r) {
        var deadline = r.state === "active" ? r.expires_at : r.state === "offered" ? r.offer_expires_at : null;
        return h("tr" + (r.id === S.selected ? ".is-selected" : ""), {
          "data-room": r.id, tabindex: "0", "data-testid": "room-row", title: "Show the routing decision",
          onclick: function () { showDecisions(r.id); },
          onkeydown: function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); showDecisions(r.id); } },
        },
          h("td", chan(r.channel), " ", h("strong", contactLabel(r))),
          h("td", r.channel === "sms" ? L.phone(r.poc_number) : "web chat"),
          h("td", r.skill_name || "—"),
          h("td", r.agent_username || h("span.muted", "—")),
          h("td", h("span.rstate.rstate-" + r.state, labels.room_state[r.state] || r.state)),
          h("td", deadline ? h("span", { "data-deadline": deadline, "data-kind": r.state }) :
            r.state === "queued" ? h("span.muted", "waiting ", h("span", { "data-since": r.queued_at || r.opened_at })) : "—"));
      }))) : h("p.empty", { "data-testid": "rooms-empty" }, "No open conversations right now."));
  }

  function tick() {
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = L.secondsUntil(el.dataset.deadline);
      el.textContent = left > 0 ? L.duration(left) : "due";
      el.classList.toggle("is-urgent", el.dataset.kind === "offered" ? left <= 10 : left <= 300);
    });
    document.querySelectorAll("[data-since]").forEach(function (el) { el.textContent = L.duration(L.secondsSince(el.dataset.since)); });
  }
  setInterval(tick, 1000);

  // ---- activity -------------------------------------------------------------------------
  function describe(ev) {
    var r = ev.room;
    switch (ev.type) {
      case "room.queued": return ["Queued", contactLabel(r) + " waits for " + (r.skill_name || "a skill")];
      case "room.offered": return ["Offered", contactLabel(r) + " offered to " + (r.agent_username || agentName(r.agent))];
      case "room.assigned": return ["Accepted", (r.agent_username || agentName(r.agent)) + " took " + contactLabel(r)];
      case "room.revoked": return ["Offer withdrawn", contactLabel(r) + (ev.reason ? " (" + String(ev.reason).replace(/_/g, " ") + ")" : "")];
      case "room.closed": return ["Ended", contactLabel(r) + " · " + (labels.close_reason[r.close_reason] || r.close_reason || "closed").toLowerCase()];
      case "room.updated": return null;
      case "room.message": return null;
      case "agent.state": return ["Agent", (ev.agent_username || agentName(ev.agent)) + " is now " + (labels.agent_state[ev.state] || ev.state).toLowerCase() +
        (ev.reason ? " (" + ev.reason + ")" : "")];
      default: return null;
    }
  }
  function addActivity(ev) {
    var d = describe(ev);
    if (!d || ev.by_you) return;  // the server's agent.state event says it once
    S.activity.unshift({ at: ev.at || new Date(L.now()).toISOString(), kind: ev.type, title: d[0], text: d[1] });
    S.activity = S.activity.slice(0, 40);
    renderActivity();
  }
  function renderActivity() {
    if (!S.activity.length) return;
    L.replace($("activity"), h("ol.activity", S.activity.map(function (a) {
      return h("li.act-" + a.kind.replace(".", "-"), { "data-testid": "activity-item" }, h("time", L.clock(a.at)), h("b", a.title), h("span", a.text));
    })));
  }
  /** After a (re)load: what happened before, from the server (activity/), under what arrived live since. */
  function loadActivity() {
    S.activityLoaded = true;
    var since = new Date(L.now()).toISOString();
    L.api("GET", "/api/v1/activity/").then(function (res) {
      if (!res.ok) { S.activityLoaded = false; return; }
      var older = L.rows(res.data).filter(function (ev) { return ev.at < since; }).map(function (ev) {
        var d = describe(ev);
        return d ? { at: ev.at, kind: ev.type, title: d[0], text: d[1] } : null;
      }).filter(Boolean);
      S.activity = S.activity.concat(older).slice(0, 40);
      renderActivity();
    });
  }

  // ---- routing decisions ----------------------------------------------------------------
  function showDecisions(id) {
    S.selected = id;
    S.decisionsShown = null;
    history.replaceState(null, "", "#room-" + id);  // a reload opens the same room again
    renderRooms();
    tick();
    var panel = $("decision"), body = $("decision-body");
    var room = S.snap.rooms.find(function (r) { return r.id === id; });
    panel.hidden = false;
    $("decision-title").textContent = "Routing of " + (room ? contactLabel(room) : "room " + id);
    L.replace(body, h("p.empty", "Loading…"));
    loadDecisions(id);
    hooks.select.forEach(function (fn) { fn(id); });
  }
  /** The open panel follows its room: reloaded when an event names the room, and whenever a snapshot
   * counts more decisions than the panel shows (so none is missed, even when an event was). */
  function followDecisions() {
    if (S.selected === null) {
      var m = /^#room-(\d+)$/.exec(location.hash);
      if (m) showDecisions(Number(m[1]));
      return;
    }
    var room = S.snap.rooms.find(function (r) { return r.id === S.selected; });
    if (room && S.decisionsShown !== null && room.decisions !== S.decisionsShown) loadDecisions(S.selected);
  }
  var decisionsLoading = {};
  function loadDecisions(id) {
    if (decisionsLoading[id]) { decisionsLoading[id] = "again"; return; }
    decisionsLoading[id] = true;
    var body = $("decision-body");
    L.api("GET", "/api/v1/rooms/" + id + "/decisions/").then(function (res) {
      var again = decisionsLoading[id] === "again";
      delete decisionsLoading[id];
      if (again) loadDecisions(id);
      if (id !== S.selected) return;
      if (!res.ok) { L.replace(body, h("p.error-text", "Could not load the routing decision: " + L.errorText(res))); return; }
      var list = L.rows(res.data);
      S.decisionsShown = list.length;
      body.dataset.count = String(list.length);
      if (!list.length) { L.replace(body, h("p.empty", "No routing decision was recorded for this room (for example an outbound text).")); return; }
      L.replace(body, list.slice().reverse().map(function (d, i) {
        return h("section.decision" + (i ? ".is-older" : ""), { "data-testid": "decision" },
          h("div.decision-head",
            h("span.outcome.outcome-" + d.outcome, d.outcome),
            h("time", L.dateTime(d.created_at)),
            d.trigger ? h("span.muted.small", String(d.trigger).replace(/_/g, " ")) : null),
          h("dl.decision-facts",
            h("dt", "Skill"), h("dd", skillName(d.skill)),
            d.rule ? [h("dt", "Rule"), h("dd", d.rule)] : null,
            h("dt", "Chosen agent"), h("dd", { "data-testid": "chosen" }, d.agent ? h("strong", agentName(d.agent)) : h("span.muted", "none — the room waits in the queue"))),
          (d.skipped || []).length ? h("div",
            h("h4", "Skipped"),
            h("ul.skipped", d.skipped.map(function (sk) {
              return h("li", h("strong", sk.username || agentName(sk.agent)), " — ", labels.skip_reason[sk.reason] || sk.reason);
            }))) : h("p.muted.small", "No other agent was considered."));
      }));
    });
  }
  $("decision-close").addEventListener("click", function () {
    $("decision").hidden = true;
    S.selected = null;
    history.replaceState(null, "", location.pathname);
    renderRooms();
    tick();
    hooks.select.forEach(function (fn) { fn(null); });
  });

  // ---- forced disconnect (administrators) -----------------------------------------------
  var fd = $("forced-disconnect");
  if (fd) {
    fd.addEventListener("click", function () {
      fd.disabled = true;
      L.api("GET", "/api/v1/forced-disconnect/").then(function (res) {
        fd.disabled = false;
        if (!res.ok) { L.banner($("error-banner"), "Could not count the active interactions: " + L.errorText(res)); return; }
        var n = res.data.active;
        $("fd-count").textContent = n === 1 ? "1 SMS interaction" : n + " SMS interactions";
        $("fd-confirm").disabled = n === 0;
        $("fd-none").hidden = n !== 0;
        $("fd-dialog").showModal();
      });
    });
    $("fd-dialog").addEventListener("close", function () {
      if ($("fd-dialog").returnValue !== "confirm") return;
      L.api("POST", "/api/v1/forced-disconnect/").then(function (res) {
        if (!res.ok) { L.banner($("error-banner"), "Forced disconnect failed: " + L.errorText(res)); return; }
        L.banner($("error-banner"), "Forced disconnect ended " + res.data.ended + (res.data.ended === 1 ? " interaction" : " interactions") + ". Every transcript was kept.", "info");
      });
    });
  }
})();
