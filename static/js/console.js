// Console niceties. Every page works without this script; the server validates everything.
(function () {
  "use strict";

  // Point of contact form: show the SMS fields or the chat field for the chosen channel.
  function toggleByChannel() {
    var channel = document.querySelector("select[name=channel]");
    var groups = document.querySelectorAll("fieldset[data-channel]");
    if (!channel || !groups.length) return;
    function apply() {
      groups.forEach(function (g) {
        // Never hide a group that carries an error message.
        g.hidden = g.dataset.channel !== channel.value && !g.querySelector(".field-errors");
      });
    }
    channel.addEventListener("change", apply);
    apply();
    skillsOfChannel(channel);
  }

  // Point of contact form: the default skill select offers only skills of the chosen channel
  // (options carry data-channel); a choice of the other channel is cleared rather than sent.
  function skillsOfChannel(channel) {
    var select = document.querySelector("select[name=skill]");
    if (!select) return;
    function apply() {
      Array.prototype.forEach.call(select.options, function (o) {
        var other = o.dataset.channel && o.dataset.channel !== channel.value;
        o.hidden = o.disabled = !!other;
        if (other && o.selected) select.value = "";
      });
    }
    channel.addEventListener("change", apply);
    apply();
  }

  // Routing rule form: pattern for keyword/regex, hours fields for business hours.
  function toggleByRuleKind() {
    var kind = document.querySelector("select[name=kind]");
    if (!kind) return;
    var wants = {
      pattern: ["keyword", "regex"],
      days: ["hours"], start_time: ["hours"], end_time: ["hours"], time_zone: ["hours"]
    };
    function apply() {
      Object.keys(wants).forEach(function (name) {
        var field = document.querySelector('.field[data-field="' + name + '"]');
        if (field) field.hidden = wants[name].indexOf(kind.value) < 0 && !field.querySelector(".field-errors");
      });
    }
    kind.addEventListener("change", apply);
    apply();
  }

  // Forms that ask before doing something drastic (forced disconnect): data-confirm holds the question.
  function confirmForms() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  }

  // On a phone the menu is one sideways row: bring the current page's entry into view.
  function showCurrentEntry() {
    var inner = document.querySelector(".sidebar-inner"), active = document.querySelector(".sidebar a.active");
    if (!inner || !active || inner.scrollWidth <= inner.clientWidth) return;
    inner.scrollLeft = active.offsetLeft - (inner.clientWidth - active.offsetWidth) / 2;
  }

  document.addEventListener("DOMContentLoaded", function () {
    showCurrentEntry();
    // A window narrowed to phone width turns the menu into the row: show the entry then too.
    if (window.matchMedia) window.matchMedia("(max-width: 760px)").addEventListener("change", showCurrentEntry);
    confirmForms();
    toggleByChannel();
    toggleByRuleKind();
  });
})();
