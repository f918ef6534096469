// newsbridge review app: keyboard-first editing of the translation column.
// Loaded from the app itself (no inline script; the page's CSP allows 'self' only).
// Every piece of text from the server is put into the page with textContent, never as markup.
(function () {
  "use strict";

  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";
  var current = null;
  var statusEl = document.getElementById("status");
  var reviewerEl = document.getElementById("reviewer");
  var STATES = ["reviewed", "final", "needs-review"];

  if (reviewerEl) {
    try { reviewerEl.value = window.localStorage.getItem("newsbridge-reviewer") || ""; } catch (e) { /* storage off */ }
    reviewerEl.addEventListener("change", function () {
      try { window.localStorage.setItem("newsbridge-reviewer", reviewerEl.value.trim()); } catch (e) { /* storage off */ }
    });
  }

  function units() { return Array.prototype.slice.call(document.querySelectorAll("[data-segment-id]")); }
  function targetOf(u) { return u.querySelector("[data-target]"); }
  function editing(u) { return !!u && u.classList.contains("editing"); }

  function status(text, isError) {
    if (!statusEl) { return; }
    statusEl.textContent = text;
    statusEl.className = isError ? "error" : "";
  }

  function focusUnit(u) {
    if (!u) { return; }
    if (current && current !== u) { current.classList.remove("current"); }
    current = u;
    u.classList.add("current");
    if (!editing(u)) { u.focus({ preventScroll: true }); }
    u.scrollIntoView({ block: "nearest" });
  }

  function move(delta) {
    var list = units();
    if (!list.length) { return; }
    var i = list.indexOf(current);
    i = i < 0 ? 0 : Math.min(list.length - 1, Math.max(0, i + delta));
    focusUnit(list[i]);
  }

  function startEdit(u) {
    if (!u || !u.hasAttribute("data-editable") || editing(u)) { return; }
    var t = targetOf(u);
    t.setAttribute("data-before", t.textContent);
    try { t.contentEditable = "plaintext-only"; } catch (e) { t.contentEditable = "true"; }
    if (t.contentEditable !== "plaintext-only") { t.contentEditable = "true"; }
    u.classList.add("editing");
    t.focus();
    var range = document.createRange();
    range.selectNodeContents(t);
    range.collapse(false);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }

  function stopEdit(u, restore) {
    var t = targetOf(u);
    if (restore && t.hasAttribute("data-before")) { t.textContent = t.getAttribute("data-before"); }
    t.removeAttribute("data-before");
    t.removeAttribute("contenteditable");
    u.classList.remove("editing");
    u.focus({ preventScroll: true });
  }

  function setState(u, state) {
    var old = u.getAttribute("data-state");
    u.setAttribute("data-state", state);
    var row = u.closest(".row");
    if (row && row !== u && row.querySelectorAll("[data-segment-id]").length === 1) { row.setAttribute("data-state", state); }
    var badge = u.querySelector("[data-badge]");
    if (badge) { badge.textContent = state; badge.className = "badge state-" + state; }
    if (old !== state) { updateCounts(old, state); }
  }

  // The document's per-state counts (from the server) follow each change in place.
  function updateCounts(from, to) {
    var box = document.getElementById("counts");
    if (!box) { return; }
    var counts = {};
    box.querySelectorAll("[data-count]").forEach(function (b) {
      counts[b.getAttribute("data-count")] = parseInt(b.getAttribute("data-n"), 10) || 0;
    });
    if (from && counts[from]) { counts[from] -= 1; }
    counts[to] = (counts[to] || 0) + 1;
    box.textContent = "";
    Object.keys(counts).sort().forEach(function (s) {
      if (!counts[s]) { return; }
      var b = document.createElement("span");
      b.className = "badge state-" + s;
      b.setAttribute("data-count", s);
      b.setAttribute("data-n", String(counts[s]));
      b.textContent = s + " " + counts[s];
      box.appendChild(b);
      box.appendChild(document.createTextNode(" "));
    });
  }

  function clearConflict(u) {
    var box = u.querySelector(".conflict");
    if (box) { box.hidden = true; box.textContent = ""; }
  }

  function showConflict(u, mine, state, theirs) {
    var box = u.querySelector(".conflict");
    box.textContent = "";
    var p = document.createElement("p");
    p.textContent = theirs
      ? "Another reviewer saved this segment first. Nothing was overwritten. Saved version (" + theirs.state + "):"
      : "This segment is no longer in the stored document. Nothing was written.";
    box.appendChild(p);
    if (theirs) {
      var t = document.createElement("span");
      t.className = "theirs";
      t.setAttribute("data-theirs", "");
      t.textContent = theirs.text || "";
      box.appendChild(t);
    }
    var m = document.createElement("span");
    m.textContent = "Your text:";
    box.appendChild(m);
    var mt = document.createElement("span");
    mt.className = "mine";
    mt.setAttribute("data-mine", "");
    mt.textContent = mine;
    box.appendChild(mt);
    if (theirs) {
      var useTheirs = document.createElement("button");
      useTheirs.type = "button";
      useTheirs.textContent = "keep the saved version";
      useTheirs.addEventListener("click", function () {
        if (editing(u)) { stopEdit(u, false); }
        targetOf(u).textContent = theirs.text || "";
        u.setAttribute("data-version", theirs.version);
        setState(u, theirs.state);
        clearConflict(u);
      });
      var keepMine = document.createElement("button");
      keepMine.type = "button";
      keepMine.textContent = "save mine over it";
      keepMine.addEventListener("click", function () {
        u.setAttribute("data-version", theirs.version);
        targetOf(u).textContent = mine;
        save(u, state, false);
      });
      box.appendChild(useTheirs);
      box.appendChild(document.createTextNode(" "));
      box.appendChild(keepMine);
    }
    box.hidden = false;
  }

  function save(u, state, next) {
    if (!u || !u.hasAttribute("data-editable")) { return Promise.resolve(); }
    var t = targetOf(u);
    var text = t.textContent.trim();
    if (!text) { status("the translation is empty: nothing saved", true); return Promise.resolve(); }
    var body = { text: text, state: state, version: u.getAttribute("data-version") };
    var who = reviewerEl ? reviewerEl.value.trim() : "";
    if (who) { body.reviewer = who; }
    status("saving…", false);
    return fetch("/api/segments/" + encodeURIComponent(u.getAttribute("data-segment-id")), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (resp.ok) {
          if (editing(u)) { stopEdit(u, false); }
          t.textContent = data.text;
          u.setAttribute("data-version", data.version);
          setState(u, data.state);
          clearConflict(u);
          status("saved: " + data.state, false);
          if (next) { move(1); }
        } else if (resp.status === 409) {
          showConflict(u, text, state, data.current || null);
          status("not saved: conflict", true);
        } else {
          status("not saved: " + (data.error || resp.status), true);
        }
      });
    }).catch(function () { status("not saved: the review server did not answer", true); });
  }

  // A story link the aligner was not sure of: the translator confirms or rejects it.
  function decideLink(box, decision) {
    var rows = box.closest("[data-source-id]");
    if (!rows) { return Promise.resolve(); }
    var body = { decision: decision, version: box.getAttribute("data-link-version") };
    var who = reviewerEl ? reviewerEl.value.trim() : "";
    if (who) { body.reviewer = who; }
    status("saving…", false);
    var url = "/api/links/" + encodeURIComponent(rows.getAttribute("data-source-id")) + "/" + encodeURIComponent(box.getAttribute("data-link"));
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body)
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          status("not saved: " + (data.error || resp.status), true);
          return;
        }
        box.setAttribute("data-link-version", data.version);
        box.setAttribute("data-link-status", data.status);
        var row = box.closest(".row");
        if (row) { row.setAttribute("data-link", data.status); }
        var note = box.querySelector("[data-link-note]");
        if (note) { note.textContent = data.status + (data.decided_by ? " by " + data.decided_by : ""); }
        box.querySelectorAll("button[data-link-action]").forEach(function (b) {
          var action = b.getAttribute("data-link-action");
          b.hidden = !(data.status === "rejected" && action === "confirm");
        });
        var cell = box.closest(".cell");
        var badge = cell ? cell.querySelector(".badge") : null;
        if (badge) {
          var shown = data.status === "confirmed" ? "human" : data.status;
          badge.textContent = shown;
          badge.className = "badge state-" + shown;
        }
        status("link " + data.status, false);
      });
    }).catch(function () { status("not saved: the review server did not answer", true); });
  }

  document.addEventListener("click", function (ev) {
    var el = ev.target instanceof Element ? ev.target : null;
    if (!el) { return; }
    var linkButton = el.closest("button[data-link-action]");
    if (linkButton) {
      decideLink(linkButton.closest(".link-decision"), linkButton.getAttribute("data-link-action"));
      return;
    }
    var u = el.closest("[data-segment-id]");
    if (!u) { return; }
    var button = el.closest("button[data-action]");
    focusUnit(u);
    if (!button) { return; }
    var action = button.getAttribute("data-action");
    if (action === "edit") { startEdit(u); }
    else if (action === "save") { save(u, "reviewed", false); }
    else if (STATES.indexOf(action) >= 0) { save(u, action, false); }
  });

  document.addEventListener("keydown", function (ev) {
    if (ev.target instanceof Element && ev.target.closest("input, select, textarea, button, a, summary")) { return; }
    if (ev.altKey || ev.isComposing) { return; }
    if (editing(current)) {
      if (ev.key === "Escape") { ev.preventDefault(); stopEdit(current, true); }
      else if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); save(current, "reviewed", true); }
      return;
    }
    if (ev.ctrlKey || ev.metaKey) { return; }
    var key = ev.key;
    if (key === "ArrowDown" || key === "j") { ev.preventDefault(); move(1); }
    else if (key === "ArrowUp" || key === "k") { ev.preventDefault(); move(-1); }
    else if (!current) { return; }
    else if (key === "Enter" || key === "e") { ev.preventDefault(); startEdit(current); }
    else if (key === "a") { ev.preventDefault(); save(current, "reviewed", true); }
    else if (key === "f") { ev.preventDefault(); save(current, "final", true); }
    else if (key === "x") { ev.preventDefault(); save(current, "needs-review", true); }
  });
}());
