/* Internal notes inside a room on the ACD agent page (docs/workspace.md): read from
 * /api/v1/rooms/<id>/notes/, drawn among the thread's texts by time and marked as notes, added with
 * the note form; a colleague's note arrives live (room.note, forwarded by agent.js as "cx:event").
 * Never sent to the contact. */
(function () {
  "use strict";
  var L = window.CxLive, h = L.h;
  var $ = function (id) { return document.getElementById(id); };
  var form = $("room-note-form");
  if (!form) return;
  var notes = {}, room = null;  // room id -> [note]

  function draw() {
    var list = $("messages").querySelector("ol.msg-list");
    if (!room || !list) return;
    list.querySelectorAll("li.msg-note").forEach(function (el) { el.remove(); });
    (notes[room.id] || []).forEach(function (n) {
      var li = h("li.msg.msg-note", { "data-testid": "room-note", "data-note": n.id },
        h("div.msg-body", n.body),
        h("div.msg-meta", h("span.note-label", "Internal note · never sent"), n.author ? h("span", n.author) : null,
          h("time", { datetime: n.created_at }, L.clock(n.created_at))));
      var later = Array.prototype.find.call(list.querySelectorAll("li.msg[data-message]"), function (m) {
        var t = m.querySelector("time");
        return t && t.getAttribute("datetime") > n.created_at;
      });
      list.insertBefore(li, later || null);
    });
  }
  function load(id) {
    return L.api("GET", "/api/v1/rooms/" + id + "/notes/").then(function (res) {
      if (!res.ok) return;
      notes[id] = res.data;
      if (room && room.id === id) draw();
    });
  }
  document.addEventListener("cx:room", function (e) {
    var r = e.detail;
    form.hidden = !r;
    $("room-note-error").hidden = true;
    if (!r) { room = null; return; }
    var changed = !room || room.id !== r.id;
    room = r;
    if (changed && !notes[r.id]) load(r.id); else draw();
  });
  document.addEventListener("cx:event", function (e) {
    var ev = e.detail;
    if (ev.type !== "room.note") return;
    var list = notes[ev.room_id];
    if (!list) return;  // not read yet: read in full when the room opens
    if (!list.some(function (n) { return n.id === ev.note.id; })) list.push(ev.note);
    if (room && room.id === ev.room_id) draw();
  });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var input = $("room-note-body"), id = room && room.id;
    if (!id) return;
    L.api("POST", "/api/v1/rooms/" + id + "/notes/", { body: input.value }).then(function (res) {
      if (!res.ok) { $("room-note-error").textContent = L.errorText(res); $("room-note-error").hidden = false; return; }
      $("room-note-error").hidden = true;
      input.value = "";
      var list = notes[id] = notes[id] || [];
      if (!list.some(function (n) { return n.id === res.data.id; })) list.push(res.data);
      if (room && room.id === id) draw();
    });
  });
})();
