// The playing track's lyrics, in a panel above the mini-player. Synced lines follow the music (the line sung now
// is marked current and kept in view) and each one is a button that seeks there; unsynced lyrics are plain text.
import { h } from "/static/dom.js";
import { get } from "/static/api.js";
import * as music from "/static/music.js";

const reducedMotion = window.matchMedia("(prefers-reduced-motion: reduce)");

// `onOpen` closes whatever else the bar has open: one panel at a time over the page.
export function lyricsPanel({ onOpen }) {
  const ui = {};
  let lines = [];
  let synced = false;
  let shown = -1;
  // The track whose lyrics were asked for: a quick skip through the queue must not show an earlier answer.
  let askedFor = null;

  ui.toggle = h("button", { type: "button", class: "mp-button mp-lyrics-toggle", "aria-expanded": "false", "aria-controls": "mp-lyrics", hidden: true }, "Lyrics");
  ui.toggle.addEventListener("click", () => open(ui.toggle.getAttribute("aria-expanded") !== "true"));
  ui.lines = h("ol", { class: "mp-lyrics-lines" });
  ui.note = h("p", { class: "mp-lyrics-note" });
  ui.panel = h("section", { class: "mp-panel mp-lyrics", id: "mp-lyrics", "aria-labelledby": "mp-lyrics-heading", hidden: true },
    h("div", { class: "mp-panel-head" }, h("h2", { id: "mp-lyrics-heading" }, "Lyrics"),
      h("button", { type: "button", class: "mp-button", onclick: () => open(false, true) }, "Close")),
    ui.note, ui.lines);

  function open(on, returnFocus = false) {
    if (on && ui.toggle.hidden) return;
    if (on) onOpen();
    ui.panel.hidden = !on;
    ui.toggle.setAttribute("aria-expanded", String(on));
    if (on) {
      follow(true);
      (ui.lines.querySelector('[aria-current="true"]') || ui.lines.querySelector("button") || ui.panel.querySelector("button"))?.focus();
    } else if (returnFocus) ui.toggle.focus();
  }

  function draw(found) {
    lines = found?.source ? found.lines.filter((l) => typeof l.text === "string") : [];
    synced = Boolean(found?.synced) && lines.every((l) => Number.isFinite(l.start_ms));
    shown = -1;
    ui.toggle.hidden = !lines.length;
    if (!lines.length) { if (!ui.panel.hidden) open(false, ui.panel.contains(document.activeElement)); ui.lines.replaceChildren(); return; }
    ui.note.textContent = synced ? "Choose a line to play from there." : "";
    ui.note.hidden = !synced;
    // Unsynced text has nothing to focus: the list itself takes focus so a keyboard can scroll it.
    if (synced) ui.lines.removeAttribute("tabindex");
    else ui.lines.setAttribute("tabindex", "0");
    ui.lines.setAttribute("aria-label", synced ? "Lines, following the music" : "Lines");
    ui.lines.replaceChildren(...lines.map((line) => h("li", {},
      synced
        ? h("button", { type: "button", class: "mp-lyric", onclick: () => music.seek(line.start_ms / 1000) }, line.text || "♪")
        : h("span", { class: "mp-lyric" }, line.text))));
    follow(true);
  }

  // The current line is the last one whose time has come.
  function follow(jump = false) {
    if (!synced || !lines.length) return;
    const now = music.elapsed() * 1000;
    let at = -1;
    for (let i = 0; i < lines.length && lines[i].start_ms <= now; i += 1) at = i;
    if (at === shown && !jump) return;
    const items = ui.lines.querySelectorAll(".mp-lyric");
    items[shown]?.removeAttribute("aria-current");
    shown = at;
    const line = items[at];
    if (!line) return;
    line.setAttribute("aria-current", "true");
    if (ui.panel.hidden) return;
    // Scrolls the panel only (scrollIntoView would move the page under it too), centring the line.
    const top = line.offsetTop - ui.panel.clientHeight / 2 + line.offsetHeight / 2;
    ui.panel.scrollTo({ top: Math.max(0, top), behavior: reducedMotion.matches || jump ? "auto" : "smooth" });
  }

  async function load() {
    const track = music.current();
    const id = track?.id || null;
    if (id === askedFor) return;
    askedFor = id;
    if (!id) { draw(null); return; }
    let found = null;
    try { found = await get(`/api/items/${encodeURIComponent(id)}/lyrics`); } catch { found = null; }
    if (askedFor === id) draw(found);
  }

  music.events.addEventListener("change", load);
  music.media.addEventListener("timeupdate", () => follow());
  music.media.addEventListener("seeked", () => follow());
  load();
  return { toggle: ui.toggle, panel: ui.panel, isOpen: () => !ui.panel.hidden, close: (returnFocus) => open(false, returnFocus) };
}
