// The console's only script: copy buttons. Every page works without it
// (the buttons stay hidden, the text stays selectable).
"use strict";
function wireCopyButtons(root) {
  root.querySelectorAll("button.copy[data-copy]").forEach(function (b) {
    if (!navigator.clipboard || b.dataset.wired) return;
    b.dataset.wired = "1";
    b.hidden = false;
    b.addEventListener("click", function () {
      var el = document.getElementById(b.dataset.copy);
      var text = el.value !== undefined ? el.value : el.textContent;
      navigator.clipboard.writeText(text).then(function () {
        b.textContent = "Copied";
        setTimeout(function () { b.textContent = "Copy"; }, 2000);
      });
    });
  });
}
document.addEventListener("DOMContentLoaded", function () { wireCopyButtons(document); });
document.addEventListener("htmx:load", function (e) { wireCopyButtons(e.target); });
