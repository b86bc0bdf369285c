// Keyboard-first review. Fact page: a accept, r reject, e edit, c comment, j/k next/previous.
// Queue: j/k move, Enter open, v the sentence, a accept the highlighted fact, r reject it, x select, A/R accept/reject
// the selection, / search; filters apply as soon as they change. ? shows the keys.
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
  function submit(id, button) {
    var form = document.getElementById(id);
    if (!form) { return; }
    if (form.requestSubmit) { form.requestSubmit(button || undefined); } else { form.submit(); }
  }
  if (page === "fact" && window.location.hash === "#reject") { openPanel("reject-panel"); }

  // Queue and list pages: j/k move a highlight over the rows, Enter opens it.
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
  function openSelected(hash) {
    if (selected < 0) { return; }
    var link = rows[selected].querySelector("a.open");
    if (link) { window.location.href = link.href + (hash || ""); }
  }

  // Queue: the selection of facts for A/R, and accepting one fact in place.
  var bulk = document.getElementById("bulk-form");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
  function picks() { return Array.prototype.slice.call(document.querySelectorAll('input[name="item"]:checked')); }
  function showCount() {
    var count = document.getElementById("selected-count");
    if (count) { count.textContent = picks().length + " selected"; }
  }
  document.addEventListener("change", function (event) {
    if (event.target.name === "item") { showCount(); }
  });
  function toggleSelected() {
    if (selected < 0) { return; }
    var box = rows[selected].querySelector('input[name="item"]');
    if (box) { box.checked = !box.checked; rows[selected].classList.toggle("picked", box.checked); showCount(); }
  }
  function expand(row) { if (row) { row.classList.toggle("expanded"); } }
  document.addEventListener("click", function (event) {
    if (event.target.classList && event.target.classList.contains("expand")) {
      expand(event.target.closest("tr"));
    }
  });
  function acceptHighlighted() {
    if (selected < 0) { return; }
    var row = rows[selected];
    var body = new URLSearchParams({csrf_token: csrf, version: row.getAttribute("data-version")});
    fetch("/facts/" + row.getAttribute("data-key") + "/accept", {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"}
    }).then(function (response) { return response.json().then(function (data) { return [response, data]; }); })
      .then(function (result) {
        var response = result[0], data = result[1];
        var cell = row.querySelector("td.status");
        if (response.ok) {
          row.setAttribute("data-version", data.state.version);
          var box = row.querySelector('input[name="item"]');
          if (box) { box.value = row.getAttribute("data-key") + ":" + data.state.version; }
          cell.innerHTML = "";
          var badge = document.createElement("span");
          badge.className = "badge status-" + data.state.status;
          badge.textContent = data.state.status;
          cell.appendChild(badge);
          select(selected + 1);
        } else {
          cell.title = data.message || data.error || "not saved";
          cell.classList.add("failed");
        }
      });
  }

  // Filters apply on change; text fields when they change (Enter or leaving the field).
  var filters = document.getElementById("filters");
  if (filters) {
    filters.addEventListener("change", function () { filters.submit(); });
    var button = document.getElementById("filter-button");
    if (button) { button.hidden = true; }
  }

  // Edit form: knowledge-base look-up for subject_id and object_id.
  Array.prototype.slice.call(document.querySelectorAll("input[data-picker]")).forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-picker"));
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        if (input.value.trim().length < 2) { return; }
        fetch("/api/concepts?q=" + encodeURIComponent(input.value.trim()), {credentials: "same-origin"})
          .then(function (response) { return response.ok ? response.json() : {concepts: []}; })
          .then(function (data) {
            list.innerHTML = "";
            data.concepts.forEach(function (concept) {
              var option = document.createElement("option");
              option.value = concept.id;
              var kind = concept.type || "MeSH descriptor";  // untyped descriptors: processes, techniques
              option.label = concept.name + " (" + kind + ")";
              option.textContent = concept.name + " (" + kind + ")";
              list.appendChild(option);
            });
          });
      }, 250);
    });
  });

  var keysButton = document.getElementById("keys-button");
  if (keysButton) { keysButton.addEventListener("click", function () { toggleHelp(); }); }
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
        case "x": toggleSelected(); break;
        case "v": expand(rows[selected]); break;
        case "a": if (page === "queue") { acceptHighlighted(); } else { handled = false; } break;
        case "r": if (page === "queue") { openSelected("#reject"); } else { handled = false; } break;
        case "A": if (picks().length) { submit("bulk-form", document.getElementById("bulk-accept")); } break;
        case "R": if (picks().length) { var reason = document.getElementById("bulk-reason"); if (reason) { reason.focus(); } } break;
        case "/": var search = document.getElementById("search"); if (search) { search.focus(); } break;
        default: handled = false;
      }
    }
    if (handled) { event.preventDefault(); }
  });
})();
