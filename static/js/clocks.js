// Keeps the clocks' countdowns (orders/_clock.html) current on a page left open: every 30
// seconds each chip's words are said again from its <time datetime>, as the server says them
// (orders/clocks.py: Clock.countdown and span). Without this script the page shows the words of
// the moment it was served, and the exact moment on hover.
(function () {
  "use strict";
  var NEAR = 24 * 60; // minutes: a running clock with less left is "due"

  function span(minutes) {
    minutes = Math.max(Math.floor(minutes), 0);
    var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60);
    var mins = minutes % 60;
    if (days) {
      var text = days + (days === 1 ? " day" : " days");
      return hours ? text + " " + hours + " h" : text;
    }
    if (hours) return mins ? hours + " h " + mins + " min" : hours + " h";
    return mins ? mins + " min" : "less than a minute";
  }

  function update() {
    var now = Date.now();
    document.querySelectorAll(".clock[data-state]").forEach(function (chip) {
      var state = chip.dataset.state;
      if (state === "paused" || state === "done") return;
      var time = chip.querySelector("time[datetime]");
      var at = Date.parse(time.getAttribute("datetime"));
      if (isNaN(at)) return;
      var left = (at - now) / 60000;
      var late = chip.dataset.clock === "closable"; // its moment coming is no lateness
      var next = left > NEAR ? "running" : left > 0 ? "due" : late ? "due" : "overdue";
      if (left <= 0 && !late) time.textContent = "overdue by " + span(-left);
      else time.textContent = left <= 0 ? "now" : "in " + span(left);
      if (next !== state) {
        chip.classList.replace("clock-" + state, "clock-" + next);
        chip.dataset.state = next;
      }
    });
  }

  setInterval(update, 30000);
})();
