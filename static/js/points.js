// Checklist boxes (orders/widgets/points.html): "Add another point" adds an empty box after
// the last one. Without this script the form still offers a few boxes, and a list pasted into
// one box splits into points on the server.
(function () {
  "use strict";

  function enhance(group) {
    var button = group.querySelector("[data-add-point]");
    if (!button || button.dataset.ready) return;
    button.dataset.ready = "1";
    button.hidden = false;
    button.addEventListener("click", function () {
      var boxes = group.querySelectorAll("[data-point]");
      var last = boxes[boxes.length - 1];
      var box = last.cloneNode(false);
      var n = boxes.length + 1;
      box.value = "";
      box.id = (boxes[0].id || "point") + "_" + n;
      box.setAttribute("aria-label", "Point " + n);
      last.insertAdjacentElement("afterend", box);
      box.focus();
    });
  }

  function enhanceAll(root) {
    Array.prototype.forEach.call(root.querySelectorAll("[data-points]"), enhance);
  }

  document.addEventListener("DOMContentLoaded", function () { enhanceAll(document); });
  document.addEventListener("htmx:load", function (event) { enhanceAll(event.target); });
})();
