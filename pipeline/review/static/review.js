// Keyboard-first review: a accept, r reject, e edit, c comment, j/k next/previous, ? help.
(function () {
  "use strict";
  var help = document.getElementById("keys-help");
  var page = document.body.getAttribute("data-page");

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function toggleHelp(show) {
    if (help) { help.hidden = show === undefined ? !help.hidden : !show; }
  }
  function follow(rel) {
    var link = document.querySelector('a[rel="' + rel + '"]');
    if (link) { window.location.href = link.href; }
  }
  function openPanel(id) {
    var panel = document.getElementById(id);
    if (!panel) { return; }
    panel.open = true;
    var field = panel.querySelector("select, input:not([type=hidden]), textarea");
    if (field) { field.focus(); }
    panel.scrollIntoView({block: "nearest"});
  }
  function submit(id) {
    var form = document.getElementById(id);
    if (form) { form.requestSubmit ? form.requestSubmit() : form.submit(); }
  }

  // Queue and list pages: j/k move a selection over the rows, Enter opens it.
  var rows = Array.prototype.slice.call(document.querySelectorAll(".fact-row"));
  var selected = rows.length ? 0 : -1;
  function select(index) {
    if (!rows.length) { return; }
    if (selected >= 0) { rows[selected].classList.remove("selected"); }
    selected = Math.max(0, Math.min(rows.length - 1, index));
    rows[selected].classList.add("selected");
    rows[selected].scrollIntoView({block: "nearest"});
  }
  if (page !== "fact" && rows.length) { select(0); }
  function openSelected() {
    if (selected < 0) { return; }
    var link = rows[selected].querySelector("a.open");
    if (link) { window.location.href = link.href; }
  }

  var button = document.getElementById("keys-button");
  if (button) { button.addEventListener("click", function () { toggleHelp(); }); }
  if (help) { help.addEventListener("click", function () { toggleHelp(false); }); }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "Escape") {
      toggleHelp(false);
      if (typing(document.activeElement)) { document.activeElement.blur(); }
      return;
    }
    if (typing(event.target)) { return; }
    var handled = true;
    if (event.key === "?") {
      toggleHelp();
    } else if (page === "fact") {
      switch (event.key) {
        case "a": submit("accept-form"); break;
        case "r": openPanel("reject-panel"); break;
        case "e": openPanel("edit-panel"); break;
        case "c": openPanel("comment-panel"); break;
        case "j": follow("next"); break;
        case "k": follow("prev"); break;
        case "u": follow("up"); break;
        case "d": var doc = document.getElementById("doc-link"); if (doc) { window.location.href = doc.href; } break;
        default: handled = false;
      }
    } else {
      switch (event.key) {
        case "j": select(selected + 1); break;
        case "k": select(selected - 1); break;
        case "Enter": case "o": openSelected(); break;
        default: handled = false;
      }
    }
    if (handled) { event.preventDefault(); }
  });
})();
