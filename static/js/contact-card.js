/* The contact card on the ACD agent page (docs/workspace.md): the open room's number's card, the same
 * card the Digital inbox shows (/api/v1/contacts/): name, tags and notes (who changed them, when), and
 * a banner when the number opted out, shown before the agent types. agent.js says which room is open
 * with a "cx:room" event; the card is read again when the room or its latest text changes. */
(function () {
  "use strict";
  var L = window.CxLive;
  var $ = function (id) { return document.getElementById(id); };
  var panel = $("contact-card"), banner = $("optout-banner");
  if (!panel) return;
  // saves: how many saves were sent (a read sent before the latest save is stale when it comes back);
  // edited: the agent has typed in the form since it was last filled (a re-read must not wipe that).
  var shown = { key: null, number: null, card: null, saves: 0, edited: false };

  function render() {
    var c = shown.card;
    if (!shown.edited) {
      $("cc-name").value = c.name || "";
      $("cc-tags").value = (Array.isArray(c.tags) ? c.tags.join(", ") : c.tags) || "";
      $("cc-notes").value = c.notes || "";
    }
    $("cc-summary").textContent = c.name || "Add a name";
    L.replace($("cc-tag-list"), (Array.isArray(c.tags) ? c.tags : (c.tags || "").split(/\s*,\s*/)).filter(Boolean).map(function (t) {
      return L.h("span.cc-tag", { "data-testid": "cc-tag" }, t);
    }));
    $("cc-notes-by").textContent = c.notes && c.notes_by ? "Notes by " + c.notes_by + " · " + L.dateTime(c.notes_at) : "";
    banner.hidden = !c.opted_out;
  }
  function load(number, key) {
    var saves = shown.saves;
    return L.api("GET", "/api/v1/contacts/?number=" + encodeURIComponent(number)).then(function (res) {
      if (shown.key !== key || shown.saves !== saves) return;  // another room opened, or a save answered with a newer card
      var found = res.ok && res.data.results && res.data.results[0];
      shown.card = found || { id: null, number: number, name: "", tags: [], notes: "", opted_out: false };
      render();
    });
  }
  document.addEventListener("cx:room", function (e) {
    var r = e.detail;
    if (!r || r.channel !== "sms" || !r.contact_number) {
      panel.hidden = true; banner.hidden = true; shown.key = shown.number = null;
      return;
    }
    panel.hidden = false;
    var key = r.id + ":" + (r.last_inbound || "");
    if (key === shown.key) return;
    var sameRoom = shown.number === r.contact_number && shown.key && shown.key.split(":")[0] === String(r.id);
    shown.key = key; shown.number = r.contact_number;
    if (!sameRoom) { $("cc-saved").textContent = ""; banner.hidden = true; shown.edited = false; }
    load(r.contact_number, key);  // a new text (STOP, START) may change the number's opt-out
  });
  $("cc-form").addEventListener("input", function () { shown.edited = true; $("cc-saved").textContent = ""; });
  $("cc-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var c = shown.card, key = shown.key;
    var body = { name: $("cc-name").value, tags: $("cc-tags").value, notes: $("cc-notes").value };
    var req = c.id ? L.api("PATCH", "/api/v1/contacts/" + c.id + "/", body)
      : L.api("POST", "/api/v1/contacts/", Object.assign({ number: shown.number }, body));
    $("cc-saved").textContent = "Saving…";
    shown.saves++;
    req.then(function (res) {
      if (shown.key !== key) return;
      if (!res.ok) { $("cc-saved").textContent = L.errorText(res); return; }
      shown.card = res.data;
      shown.edited = false;
      render();
      $("cc-saved").textContent = "Saved.";
    });
  });
})();
