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

  document.addEventListener("DOMContentLoaded", function () {
    confirmForms();
    toggleByChannel();
    toggleByRuleKind();
  });
})();
