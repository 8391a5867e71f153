/* global document, window, fetch, DOMParser, history, Element, URL */
// Progressive enhancement only: every link and form works without this file.
"use strict";

// Links activate on Enter; span rows are "buttons" to the eye, so Space selects them too,
// and the arrow keys move between them.
document.addEventListener("keydown", (event) => {
  const link = event.target instanceof Element ? event.target.closest(".span-link") : null;
  if (!link) return;
  if (event.key === " ") {
    event.preventDefault();
    link.click();
  } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    const links = [...document.querySelectorAll(".span-link")];
    const next = links[links.indexOf(link) + (event.key === "ArrowDown" ? 1 : -1)];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  }
});

// Selecting a span swaps the detail panel in place: no reload, no scroll jump, focus stays put.
document.addEventListener("click", async (event) => {
  const link = event.target instanceof Element ? event.target.closest("a.span-link") : null;
  const panel = document.getElementById("span-detail");
  if (!link || !panel || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  const url = new URL(link.href);
  try {
    const response = await fetch(url, { headers: { accept: "text/html" } });
    if (!response.ok) throw new Error(String(response.status));
    const next = new DOMParser().parseFromString(await response.text(), "text/html");
    const replacement = next.getElementById("span-detail");
    if (!replacement) throw new Error("no span detail");
    panel.replaceWith(replacement);
    for (const row of document.querySelectorAll(".span-link")) {
      if (row === link) row.setAttribute("aria-current", "true");
      else row.removeAttribute("aria-current");
    }
    url.hash = "";
    history.replaceState(null, "", url);
  } catch {
    window.location.assign(link.href);
  }
});
