// Keyboard shortcuts of the agent workspace: r reply, n internal note, j / k next and
// previous ticket (in the list: move through the rows), ? help. Progressive enhancement
// only: every action has a link or a form that works without this file.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function compose(internal) {
    var body = document.getElementById("reply-body");
    if (!body) return false;
    var radio = document.querySelector(
      'input[name="visibility"][value="' + (internal ? "internal" : "public") + '"]'
    );
    if (radio) radio.checked = true;
    body.focus();
    return true;
  }

  // In the list, j / k move the focus through the tickets' links.
  function moveInList(step) {
    var links = Array.prototype.slice.call(document.querySelectorAll("#ticket-list .ticket-link"));
    if (links.length === 0) return false;
    var at = links.indexOf(document.activeElement);
    var next = at < 0 ? (step > 0 ? 0 : links.length - 1) : at + step;
    if (next < 0 || next >= links.length) {
      var more = step > 0 ? document.querySelector('a.next[rel="next"]') : null;
      if (more) window.location.assign(more.href);
      return true;
    }
    links.forEach(function (l) { l.closest("tr").classList.remove("selected"); });
    links[next].closest("tr").classList.add("selected");
    links[next].focus();
    return true;
  }

  function follow(id) {
    var link = document.getElementById(id);
    if (!link) return false;
    window.location.assign(link.href);
    return true;
  }

  function help() {
    var dialog = document.getElementById("shortcuts-help");
    if (!dialog) return false;
    if (typeof dialog.showModal === "function") {
      if (!dialog.open) dialog.showModal();
    } else {
      dialog.setAttribute("open", "");
    }
    return true;
  }

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    var handled = false;
    switch (e.key) {
      case "r": handled = compose(false); break;
      case "n": handled = compose(true); break;
      case "j": handled = moveInList(1) || follow("next-ticket"); break;
      case "k": handled = moveInList(-1) || follow("prev-ticket"); break;
      case "?": handled = help(); break;
    }
    if (handled) e.preventDefault();
  });
})();
