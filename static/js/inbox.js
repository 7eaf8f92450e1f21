/* The Digital inbox (docs/digital.md): lists and cases come from the REST API; the socket's snapshot
 * and case.* events say when to read them again (the database is the truth). No build step. */
(function () {
  "use strict";
  var L = window.CxLive, h = L.h, replace = L.replace, smsInfo = window.CxSms.info;
  var cfg = JSON.parse(document.getElementById("inbox-config").textContent);
  var API = cfg.api, me = cfg.user;
  var LIVE = "new,open,pending,escalated,resolved";
  var app = document.getElementById("inbox-app");
  function $(id) { return document.getElementById(id); }
  var state = { cases: [], selected: null, detail: null, limit: null, agentState: null };
  var live = null;  // the agent feed (set at the end); actions use it while it is open
  var errorBanner = $("error-banner");
  function fail(res) { L.banner(errorBanner, L.errorText(res)); }

  // ---- list ------------------------------------------------------------------------------
  function params() {
    var p = new URLSearchParams();
    p.set("assigned", $("f-assigned").value);
    p.set("state", $("f-state").value || LIVE);
    if ($("f-queue").value) p.set("queue", $("f-queue").value);
    if ($("f-q").value.trim()) p.set("q", $("f-q").value.trim());
    return p.toString();
  }
  function loadList() {
    return L.api("GET", API + "cases/?" + params()).then(function (res) {
      if (!res.ok) return fail(res);
      state.cases = L.rows(res.data);
      renderList();
    });
  }
  function stateBadge(s) { return h("span.badge.state-" + s, { "data-testid": "state-badge", text: cfg.labels.state[s] || s }); }
  function renderList() {
    var items = state.cases.map(function (c) {
      var offered = c.state === "new" && c.agent === me.id;
      return h("li", h("button.case-item" + (c.id === state.selected ? ".is-selected" : "") + (offered ? ".is-offered" : ""),
        { type: "button", "data-case": c.id, "data-testid": "case-item", onclick: function () { select(c.id, true); } },
        h("span.case-who", c.unread ? h("span.unread-dot", { "data-testid": "unread", text: c.unread, "aria-label": c.unread + " unread" }) : null,
          c.contact_name ? [c.contact_name, h("span.case-number", { text: L.phone(c.contact_number) })] : L.phone(c.contact_number)),
        h("span.case-when", { text: L.dateTime(c.last_message_at) }),
        h("span.case-preview", { text: c.first_body }),
        h("span.case-meta", stateBadge(c.state), c.queue_name ? h("span.badge", { text: c.queue_name }) : null,
          h("span.muted.small", { text: c.agent_username ? "· " + c.agent_username : "· waiting" }))));
    });
    if (!items.length) items = [h("li.muted.case-none", { text: "No cases here." })];
    replace($("cases"), items, JSON.stringify([state.selected, state.cases.map(function (c) {
      return [c.id, c.state, c.agent, c.unread, c.contact_name, c.contact_number, c.last_message_at, c.first_body, c.queue_name, c.agent_username];
    })]));
  }
  function loadCounts() {
    return L.api("GET", API + "cases/counts/").then(function (res) {
      if (!res.ok) return;
      var counts = cfg.is_agent ? res.data.mine : res.data.states;
      var chips = ["new", "open", "pending", "escalated", "resolved"].map(function (s) {
        return h("button.count-chip", { type: "button", "aria-pressed": String($("f-state").value === s), "data-testid": "count-" + s,
          onclick: function () { $("f-state").value = $("f-state").value === s ? "" : s; refresh(); } },
          (cfg.labels.state[s] || s) + " " + (counts[s] || 0));
      });
      replace($("counts"), chips);
      if (cfg.is_agent) {
        var load = (counts["new"] || 0) + (counts.open || 0) + (counts.escalated || 0);
        var el = $("load");
        el.textContent = state.limit !== null ? "Cases " + load + " / " + state.limit : "";
        el.classList.toggle("is-full", state.limit !== null && load >= state.limit);
      }
    });
  }
  function loadOverview() {
    if (cfg.is_agent) return;
    L.api("GET", API + "cases/overview/").then(function (res) {
      if (!res.ok) return;
      replace($("overview-queues"), res.data.queues.map(function (q) {
        return h("tr", h("td", q.name + (q.is_fallback ? " (fallback)" : "")), h("td", { "data-testid": "waiting-" + q.name, text: q.waiting }),
          h("td", { text: q.oldest_seconds === null ? "—" : L.duration(q.oldest_seconds) }));
      }));
      replace($("overview-agents"), res.data.agents.map(function (a) {
        return h("tr", h("td", a.username), h("td", { text: cfg.labels.agent_state[a.state] || a.state }),
          h("td", { "data-testid": "agent-load-" + a.username, text: a.load + " / " + a.limit }));
      }));
    });
  }

  // ---- one case --------------------------------------------------------------------------
  // Reads of the open case may come back out of order (an event's read, an action's answer): only the
  // newest counts, so an older read never puts back a state the case has left.
  var detailGen = 0;
  function select(id, show) {
    state.selected = id;
    if (show) app.dataset.view = "case";
    renderList();
    var gen = ++detailGen;
    return L.api("GET", API + "cases/" + id + "/").then(function (res) {
      if (gen !== detailGen) return;
      if (!res.ok) { if (res.status === 404) { state.selected = null; state.detail = null; renderCase(); } return fail(res); }
      if (state.selected !== id) return;
      state.detail = res.data;
      renderCase();
    });
  }
  function mine(c) { return c && c.agent === me.id; }
  function renderCase() {
    var c = state.detail;
    $("case").hidden = $("side").hidden = !c;
    $("case-empty").hidden = !!c;
    if (!c) { app.dataset.view = "list"; return; }
    var name = c.contact && c.contact.name;
    // Head and actions are drawn again only when what they show changed: a live event that changes
    // nothing there leaves their buttons and the picked state in place (live.js, replace's key).
    replace($("case-head"), [
      h("button.btn.btn-small.btn-ghost.case-back", { type: "button", onclick: function () { app.dataset.view = "list"; } }, "← Cases"),
      h("h1", { "data-testid": "case-title", text: (name ? name + " · " : "") + L.phone(c.contact_number) }),
      stateBadge(c.state),
      h("span.muted", { text: "to " + L.phone(c.poc_number) + (c.queue_name ? " · " + c.queue_name : "") + " · " +
        (c.agent_username ? c.agent_username : "waiting for an agent") }),
      h("span.case-timer#case-timer", { "data-testid": "timer" }),
    ], JSON.stringify([c.id, name, c.contact_number, c.state, c.poc_number, c.queue_name, c.agent_username]));
    renderActions(c);
    renderMessages(c.messages);
    var canWrite = mine(c) && c.state !== "new" && c.state !== "closed";
    $("composer").hidden = !canWrite;
    replace($("contact-number"), L.phone(c.contact_number));
    $("contact-name").value = c.contact.name || "";
    $("contact-tags").value = (c.contact.tags || []).join(", ");
    $("contact-notes").value = c.contact.notes || "";
    $("contact-saved").textContent = "";
    renderTimeline(c.entries);
    replace($("history"), []);
    tick();
  }
  function renderActions(c) {
    var acts = [];
    if (c.state === "new" && mine(c)) {
      acts.push(h("button.btn.btn-primary.btn-small", { type: "button", "data-testid": "accept", onclick: function () { act("accept"); } }, "Accept"));
      acts.push(h("button.btn.btn-small", { type: "button", "data-testid": "reject", onclick: function () { act("reject"); } }, "Reject"));
    }
    var manager = !cfg.is_agent;
    if (c.state !== "closed" && ((mine(c) && c.state !== "new") || (manager && c.agent))) {
      var sel = h("select.input#state-select", { "aria-label": "New state", "data-testid": "state-select" },
        // An offer not yet accepted can only be closed (its agent accepts it first).
        (c.state === "new" ? ["closed"] : ["open", "pending", "escalated", "resolved", "closed"]).filter(function (s) {
          return s !== c.state;
        }).map(function (s) {
          return h("option", { value: s, text: cfg.labels.state[s] });
        }));
      acts.push(sel, h("button.btn.btn-small", { type: "button", "data-testid": "state-set", onclick: function () {
        act("state", { state: sel.value });
      } }, "Set state"));
    }
    if (c.state !== "closed" && (mine(c) || manager)) {
      acts.push(h("button.btn.btn-small.btn-ghost", { type: "button", "data-testid": "assign", onclick: openAssign }, c.agent ? "Transfer…" : "Assign…"));
    }
    replace($("case-actions"), acts, JSON.stringify([c.id, c.state, c.agent, manager]));
    $("case-actions").hidden = !acts.length;
  }
  // Accept, reject, state and replies go over the socket while it is open (one frame each, answered with
  // the case's list row or the text sent: docs/websockets.md), else through the REST API, as agent.js does.
  var COMMANDS = { accept: "case.accept", reject: "case.reject", state: "case.state" };
  function perform(command, method, url, body) {
    if (!live || !cfg.is_agent) return L.api(method, url, body);  // the supervisor feed takes no actions
    return live.perform(command, method, url, body);
  }
  function act(name, body) {
    var id = state.selected;
    var command = COMMANDS[name] ? Object.assign({ type: COMMANDS[name], "case": id }, body || {}) : null;
    return perform(command, "POST", API + "cases/" + id + "/" + name + "/", body || {}).then(function (res) {
      if (!res.ok) return fail(res);
      L.banner(errorBanner, null);
      if (res.data && res.data.id === id && state.selected === id) {
        detailGen++;  // newer than any read still on its way
        // REST answers the whole case; the socket its list row, merged here (the case.* event reads the rest).
        state.detail = res.data.messages || !state.detail || state.detail.id !== id ? res.data : Object.assign({}, state.detail, res.data);
        renderCase();
      }
      refresh();
    });
  }
  function renderMessages(messages) {
    var items = (messages || []).map(function (m) {
      var failed = m.status === "failed" || m.status === "undelivered";
      return h("li.msg.msg-" + m.direction + (m.automatic ? ".is-auto" : "") + (failed ? ".is-failed" : ""), { "data-testid": "message" },
        h("div.msg-body", { text: m.body }),
        h("div.msg-meta", h("span", { text: L.clock(m.created_at) }), m.author ? h("span", { text: m.author }) : null,
          m.direction === "outbound" ? h("span.msg-status.status-" + m.status, { "data-testid": "message-status",
            text: (cfg.labels.message_status[m.status] || m.status) + (m.segments > 1 ? " · " + m.segments + " segments" : "") +
              (m.error_message ? " — " + m.error_message : "") }) : null));
    });
    replace($("messages"), h("ol.msg-list", items));
    $("messages").scrollTop = $("messages").scrollHeight;
  }
  // A delivery report pushed over the socket (case.message_status): the text's status changes in place.
  function messageStatus(msg) {
    var c = state.detail;
    if (!c || c.id !== msg.case_id) return;
    var m = (c.messages || []).filter(function (x) { return x.id === msg.message_id; })[0];
    if (!m) { select(c.id); return; }  // a text this page has not read yet: read the case again
    m.status = msg.status; m.error_code = msg.error_code; m.error_message = msg.error_message;
    if (msg.segments) m.segments = msg.segments;
    renderMessages(c.messages);
  }
  function renderTimeline(entries) {
    replace($("timeline"), (entries || []).slice().reverse().map(function (e) {
      var text = cfg.labels.entry[e.kind] || e.kind;
      if (e.from_state && e.to_state && e.from_state !== e.to_state) text += ": " + cfg.labels.state[e.from_state] + " → " + cfg.labels.state[e.to_state];
      else if (e.to_state && e.kind === "opened") text += " (" + cfg.labels.state[e.to_state] + ")";
      if (e.agent && e.kind !== "state") text += " · " + e.agent;
      if (e.queue) text += " · " + e.queue;
      return h("li" + (e.kind === "note" ? ".is-note" : ""), { "data-testid": "entry" },
        h("span.when", { text: L.dateTime(e.at) + (e.actor ? " · " + e.actor : "") }), h("span", { text: text }),
        e.body ? h("span.note-body", { text: e.body }) : null);
    }));
  }
  function tick() {
    var el = $("case-timer"), c = state.detail;
    if (!el || !c) return;
    if (c.state === "new" && c.offer_expires_at) {
      el.textContent = "Offer ends in " + L.duration(L.secondsUntil(c.offer_expires_at));
    } else if (c.expires_at && c.state !== "closed") {
      var left = L.secondsUntil(c.expires_at);
      el.textContent = "Closes after inactivity in " + L.duration(left);
      el.classList.toggle("is-low", left < 600);
    } else el.textContent = c.state === "closed" ? "Closed " + L.dateTime(c.closed_at) : "";
  }
  setInterval(tick, 1000);

  // ---- composer, notes, contact, history ---------------------------------------------------
  var input = $("composer-body");
  function counter() {
    var info = smsInfo(input.value), el = $("composer-counter");
    el.textContent = !input.value ? "0 / 160 · GSM-7" : info.units + " / " + info.perSegment + " · " + info.segments +
      (info.segments === 1 ? " segment" : " segments") + " · " + (info.encoding === "gsm7" ? "GSM-7" : "UCS-2 (because of “" + info.culprit + "”)");
    el.classList.toggle("is-ucs2", info.encoding !== "gsm7");
  }
  input.addEventListener("input", counter);
  input.addEventListener("keydown", function (e) { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("composer").requestSubmit(); } });
  $("composer").addEventListener("submit", function (e) {
    e.preventDefault();
    var id = state.selected, body = input.value;
    if (!body.trim()) return;
    perform({ type: "case.reply", "case": id, body: body }, "POST", API + "cases/" + id + "/messages/", { body: body }).then(function (res) {
      var err = $("composer-error");
      if (!res.ok) { err.hidden = false; err.textContent = L.errorText(res, ["body"]); return; }
      err.hidden = true;
      input.value = "";
      counter();
      select(id);
    });
  });
  $("note-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var body = $("note-body").value;
    L.api("POST", API + "cases/" + state.selected + "/notes/", { body: body }).then(function (res) {
      if (!res.ok) return fail(res);
      $("note-body").value = "";
      select(state.selected);
    });
  });
  $("contact-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var c = state.detail, body = { name: $("contact-name").value, tags: $("contact-tags").value, notes: $("contact-notes").value };
    var req = c.contact.id ? L.api("PATCH", API + "contacts/" + c.contact.id + "/", body)
      : L.api("POST", API + "contacts/", Object.assign({ number: c.contact_number }, body));
    req.then(function (res) {
      if (!res.ok) return fail(res);
      c.contact = { id: res.data.id, number: res.data.number, name: res.data.name, tags: res.data.tags ? res.data.tags.split(/\s*,\s*/) : [], notes: res.data.notes };
      $("contact-saved").textContent = "Saved.";
      renderList();
    });
  });
  $("history-load").addEventListener("click", function () {
    L.api("GET", API + "cases/" + state.selected + "/history/").then(function (res) {
      if (!res.ok) return fail(res);
      var items = res.data.map(function (c) {
        return h("details.transcript", { "data-testid": "history-case" },
          h("summary", h("span.transcript-when", { text: L.dateTime(c.opened_at) }), h("span.transcript-who", { text: c.agent_username || "—" }),
            h("span.transcript-meta", { text: L.phone(c.contact_number) + " → " + L.phone(c.poc_number) + " · " + (cfg.labels.state[c.state] || c.state) })),
          h("ol.msg-list", c.messages.map(function (m) { return h("li.msg.msg-" + m.direction, h("div.msg-body", { text: m.body })); })));
      });
      replace($("history"), items.length ? items : h("p.muted.small", { text: "No earlier cases with this number." }));
    });
  });

  // ---- dialogs ---------------------------------------------------------------------------
  function fill(select, list, label) {
    replace(select, [h("option", { value: "", text: "—" })].concat(list.map(function (x) { return h("option", { value: x.id, text: x[label] }); })));
  }
  fill($("f-queue"), cfg.queues, "name");
  $("f-queue").firstChild.textContent = "Any queue";
  function openAssign() {
    fill($("assign-agent"), cfg.agents.filter(function (a) { return !state.detail || a.id !== state.detail.agent; }), "username");
    fill($("assign-queue"), cfg.queues, "name");
    $("assign-error").hidden = true;
    $("assign-dialog").showModal();
  }
  $("assign-cancel").addEventListener("click", function () { $("assign-dialog").close(); });
  $("assign-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var body = { note: $("assign-note").value };
    if ($("assign-agent").value) body.agent = Number($("assign-agent").value);
    if ($("assign-queue").value) body.queue = Number($("assign-queue").value);
    L.api("POST", API + "cases/" + state.selected + "/assign/", body).then(function (res) {
      if (!res.ok) { $("assign-error").hidden = false; $("assign-error").textContent = L.errorText(res, ["agent", "queue"]); return; }
      $("assign-dialog").close();
      $("assign-note").value = "";
      state.detail = res.data;
      renderCase();
      refresh();
    });
  });
  if (cfg.is_agent) {
    replace($("outbound-poc"), cfg.pocs.map(function (p) { return h("option", { value: p.id, text: L.phone(p.number) }); }));
    $("new-case").addEventListener("click", function () { $("outbound-error").hidden = true; $("outbound-dialog").showModal(); });
    $("outbound-cancel").addEventListener("click", function () { $("outbound-dialog").close(); });
    $("outbound-form").addEventListener("submit", function (e) {
      e.preventDefault();
      L.api("POST", API + "cases/outbound/", { point_of_contact: Number($("outbound-poc").value), contact_number: $("outbound-number").value,
        body: $("outbound-body").value }).then(function (res) {
        if (!res.ok) { $("outbound-error").hidden = false; $("outbound-error").textContent = L.errorText(res, ["body", "contact_number", "point_of_contact"]); return; }
        $("outbound-dialog").close();
        $("outbound-body").value = $("outbound-number").value = "";
        refresh();
        select(res.data.id, true);
      });
    });
    $("pull").addEventListener("click", function () {
      L.api("POST", API + "cases/pull/").then(function (res) {
        if (!res.ok) return fail(res);
        if (!res.data.id) return L.banner(errorBanner, res.data.detail, "info");
        refresh();
        select(res.data.id, true);
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-set-state]"), function (b) {
      b.addEventListener("click", function () {
        L.api("PUT", "/api/v1/me/state/", { state: b.dataset.setState }).then(function (res) {
          if (!res.ok) return fail(res);
          showAgentState(res.data.state);
        });
      });
    });
  }
  function showAgentState(s) {
    state.agentState = s;
    Array.prototype.forEach.call(document.querySelectorAll("[data-set-state]"), function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.setState === s));
    });
  }
  ["f-assigned", "f-state", "f-queue"].forEach(function (id) { $(id).addEventListener("change", refresh); });
  var searchTimer = null;
  $("f-q").addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(refresh, 250); });
  $("filters").addEventListener("submit", function (e) { e.preventDefault(); refresh(); });

  // ---- live ------------------------------------------------------------------------------
  var refreshTimer = null;
  function refresh() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(function () { loadList(); loadCounts(); loadOverview(); }, 60);
  }
  live = L.connect(cfg.ws, {
    status: L.statusIndicator(document.querySelector("[data-live-status]")),
    snapshot: function (msg) {
      if (msg.agent) showAgentState(msg.agent.state);
      if (msg.case_limit !== undefined) state.limit = msg.case_limit;
      refresh();
      if (state.selected) select(state.selected);
    },
    event: function (msg) {
      if (msg.type === "agent.state" && msg.agent === me.id) showAgentState(msg.state);
      if (msg.type === "case.message_status") return messageStatus(msg);
      if (!/^case\./.test(msg.type)) return;
      refresh();
      if (msg.case && msg.case.id === state.selected) select(state.selected);
    },
  });
})();
