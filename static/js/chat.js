// Web chat for contacts: start a chat, then exchange messages live over /ws/chat/<token>/.
(function () {
  "use strict";
  const root = document.getElementById("chat");
  const slug = root.dataset.slug;
  const thread = document.getElementById("chat-thread");
  const state = document.getElementById("chat-state");
  let token = sessionStorage.getItem("cxsms-chat-" + slug);
  const seen = new Set();

  function show(m) {
    if (seen.has(m.id)) return;
    seen.add(m.id);
    const li = document.createElement("li");
    li.className = "bubble " + (m.direction === "inbound" ? "mine" : "theirs");
    li.textContent = m.body;
    thread.appendChild(li);
    thread.scrollTop = thread.scrollHeight;
  }
  function error(id, text) { const p = document.getElementById(id); p.textContent = text; p.hidden = !text; }
  function messagesOf(out) { return Object.values(out.errors || {}).flat().join(" "); }

  async function load() {
    const resp = await fetch("/chat/" + slug + "/" + token + "/messages/");
    if (!resp.ok) { sessionStorage.removeItem("cxsms-chat-" + slug); token = null; return false; }
    const out = await resp.json();
    out.messages.forEach(show);
    if (out.state === "closed") ended();
    return true;
  }
  function ended() { state.textContent = "This chat has ended"; document.getElementById("chat-body").disabled = true; }

  function live() {
    document.getElementById("chat-start").hidden = true;
    document.getElementById("chat-live").hidden = false;
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws/chat/" + token + "/");
    ws.onopen = function () { state.textContent = "Connected"; load(); };
    ws.onclose = function () { if (!document.getElementById("chat-body").disabled) { state.textContent = "Reconnecting…"; setTimeout(live, 2000); } };
    ws.onmessage = function (e) {
      const ev = JSON.parse(e.data);
      if (ev.type === "chat.message") show(ev.message);
      if (ev.type === "chat.closed") ended();
    };
  }

  document.getElementById("chat-start").addEventListener("submit", async function (e) {
    e.preventDefault();
    const resp = await fetch("/chat/" + slug + "/", {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({name: document.getElementById("chat-name").value, body: document.getElementById("chat-first").value})});
    const out = await resp.json().catch(() => ({}));
    if (!resp.ok) { error("chat-start-error", messagesOf(out) || "Could not start the chat."); return; }
    token = out.token;
    sessionStorage.setItem("cxsms-chat-" + slug, token);
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

  if (token) { load().then(function (ok) { if (ok) live(); }); }
})();
