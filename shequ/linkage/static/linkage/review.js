// The review page's keyboard: 1 / J / ← is a match, 2 / K / → is not, 3 / S / ↓ skips.
// Each decision button lists its keys in data-keys; a key press submits the form with that button.
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }
  ready(function () {
    var form = document.getElementById("decision-form");
    if (!form) return;
    var buttons = Array.prototype.slice.call(form.querySelectorAll("button[data-keys]"));
    var byKey = {};
    buttons.forEach(function (button) {
      button.dataset.keys.split(" ").forEach(function (key) { byKey[key.toLowerCase()] = button; });
    });
    var sent = false;
    form.addEventListener("submit", function () {
      sent = true;
      setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
    });
    document.addEventListener("keydown", function (event) {
      if (sent || event.altKey || event.ctrlKey || event.metaKey) return;
      var target = event.target;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      var button = byKey[event.key.length === 1 ? event.key.toLowerCase() : event.key.toLowerCase()];
      if (!button) return;
      event.preventDefault();
      button.classList.add("pressed");
      if (form.requestSubmit) form.requestSubmit(button); else button.click();
    });
    form.dataset.keysReady = "1";  // the keyboard works from here on (tests wait for it)
  });
})();
