// Web chat for contacts: start a chat, then follow it live over /ws/chat/<token>/. The socket's
// snapshot says where the chat stands (waiting in the queue and its place, with an agent, ended);
// events add messages and state changes. After a chat ends, the contact can start a new one.
(function () {
  "use strict";
  const root = document.getElementById("chat");
  const slug = root.dataset.slug;
  const thread = document.getElementById("chat-thread");
  const state = document.getElementById("chat-state");
  const key = "cxsms-chat-" + slug;
  let token = sessionStorage.getItem(key);
  let ws = null, closed = false, refresh = null, lastSeq = 0;
  const seen = new Set();

  function show(m) {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    const li = document.createElement("li");
    li.className = "bubble " + (m.direction === "inbound" ? "mine" : "theirs") + (m.automatic ? " auto" : "");
    li.textContent = m.body;
    thread.appendChild(li);
    thread.scrollTop = thread.scrollHeight;
  }
  function error(id, text) { const p = document.getElementById(id); p.textContent = text; p.hidden = !text; }
  function messagesOf(out) { return Object.values(out.errors || {}).flat().join(" "); }

  /** The status line: waiting (with the place in the queue), with an agent, or ended. */
  function status(room) {
    const waiting = room.state === "queued" || room.state === "offered";
    clearInterval(refresh);
    if (room.state === "closed") return ended();
    state.dataset.state = waiting ? "waiting" : "connected";
    if (room.state === "active") state.textContent = "An agent is with you";
    else if (room.state === "offered" || room.queue_position === 1) state.textContent = "Waiting for an agent · you are next";
    else if (room.queue_position) state.textContent = "Waiting for an agent · number " + room.queue_position + " in the queue";
    else state.textContent = "Waiting for an agent";
    // The place in the queue moves as others are served: ask for a fresh snapshot now and then.
    if (waiting) refresh = setInterval(function () { send({ type: "resync" }); }, 10000);
  }
  function ended() {
    closed = true;
    clearInterval(refresh);
    state.dataset.state = "ended";
    state.textContent = "This chat has ended";
    document.getElementById("chat-send").hidden = true;
    document.getElementById("chat-ended").hidden = false;
  }
  function send(obj) { if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj)); }

  function live() {
    document.getElementById("chat-start").hidden = true;
    document.getElementById("chat-live").hidden = false;
    lastSeq = 0;
    ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/chat/" + token + "/");
    const mine = ws;
    ws.onclose = function () {
      if (mine !== ws || closed) return;
      state.dataset.state = "reconnecting";
      state.textContent = "Reconnecting…";
      setTimeout(live, 2000);
    };
    ws.onmessage = function (e) {
      const ev = JSON.parse(e.data);
      if (ev.seq && lastSeq && ev.seq !== lastSeq + 1 && ev.type !== "snapshot") send({ type: "resync" });
      lastSeq = ev.seq || lastSeq;
      if (ev.type === "snapshot") {
        if (!ev.room) { forget(); return; }
        ev.messages.forEach(show);
        status(ev.room);
      }
      if (ev.type === "chat.message") show(ev.message);
      if (ev.type === "chat.state") { if (ev.state === "closed") ended(); else send({ type: "resync" }); }
      if (ev.type === "chat.closed") ended();
    };
  }

  /** Back to the start form: the ended chat stays readable in the agent's transcripts, not here. */
  function forget() {
    sessionStorage.removeItem(key);
    token = null;
    closed = false;
    clearInterval(refresh);
    if (ws) { const old = ws; ws = null; old.close(); }
    seen.clear();
    thread.replaceChildren();
    document.getElementById("chat-live").hidden = true;
    document.getElementById("chat-ended").hidden = true;
    document.getElementById("chat-send").hidden = false;
    document.getElementById("chat-start").hidden = false;
    document.getElementById("chat-first").value = "";
    state.dataset.state = "";
    state.textContent = "We usually answer in a few minutes";
    document.getElementById("chat-first").focus();
  }

  document.getElementById("chat-start").addEventListener("submit", async function (e) {
    e.preventDefault();
    const resp = await fetch("/chat/" + slug + "/", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: document.getElementById("chat-name").value, body: document.getElementById("chat-first").value})});
    const out = await resp.json().catch(() => ({}));
    if (!resp.ok) { error("chat-start-error", messagesOf(out) || "Could not start the chat."); return; }
    error("chat-start-error", "");
    token = out.token;
    sessionStorage.setItem(key, token);
    live();
  });

  document.getElementById("chat-send").addEventListener("submit", async function (e) {
    e.preventDefault();
    const input = document.getElementById("chat-body");
    const resp = await fetch("/chat/" + slug + "/" + token + "/messages/", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({body: input.value})});
    const out = await resp.json().catch(() => ({}));
    if (!resp.ok) { error("chat-error", messagesOf(out) || "Not sent."); return; }
    error("chat-error", "");
    show(out);
    input.value = "";
  });

  document.getElementById("chat-new").addEventListener("click", forget);

  if (token) live();
})();
