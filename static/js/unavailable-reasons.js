/* Unavailable reasons on the agent page: going Unavailable asks why (the tenant's reasons, set up by
 * an administrator), and an unavailable agent can change the reason. agent.js calls
 * CxReasons.ask(anchor, onPick) when the Unavailable button is pressed and there are reasons. */
(function () {
  "use strict";
  var L = window.CxLive, h = L.h;
  var reasons = []; // [{id, name}], the active ones
  var loaded = L.api("GET", "/api/v1/unavailable-reasons/?is_active=true&page_size=100").then(function (res) {
    reasons = res.ok ? L.rows(res.data).filter(function (r) { return r.is_active; }) : [];
    return reasons;
  });
  var menu = null;

  function close() {
    if (!menu) return;
    menu.remove();
    menu = null;
    document.removeEventListener("click", outside, true);
    document.removeEventListener("keydown", onKey, true);
  }
  function outside(e) { if (menu && !menu.contains(e.target)) close(); }
  function onKey(e) { if (e.key === "Escape") { close(); } }

  /** A menu under `anchor` listing the reasons and "No reason"; onPick(id or null). */
  function ask(anchor, current, onPick) {
    close();
    function item(id, label) {
      return h("button", {
        type: "button", role: "menuitemradio", "aria-checked": String(label === current), "data-reason": label,
        onclick: function (e) { e.stopPropagation(); close(); onPick(id); },
      }, label);
    }
    menu = h("div.reason-menu", { role: "menu", "aria-label": "Why are you unavailable?", "data-testid": "reason-menu" },
      h("p.reason-menu-title", "Why are you unavailable?"),
      reasons.map(function (r) { return item(r.id, r.name); }),
      item(null, "No reason"));
    anchor.parentNode.appendChild(menu);
    var first = menu.querySelector("button");
    if (first) first.focus();
    setTimeout(function () {
      document.addEventListener("click", outside, true);
      document.addEventListener("keydown", onKey, true);
    }, 0);
  }

  window.CxReasons = {
    ready: function () { return loaded; },
    any: function () { return reasons.length > 0; },
    ask: ask,
  };
})();
