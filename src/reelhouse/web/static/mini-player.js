// The mini-player: a bar fixed under every page, outside the page container, so music plays on while the viewer
// browses; and its queue panel (play, reorder, remove, shuffle, repeat). Every control is a labelled button.
import { h, clear, formatDuration } from "/static/dom.js";
import { subtitle } from "/static/cards.js";
import * as music from "/static/music.js";
import { lyricsPanel } from "/static/mini-lyrics.js";

const REPEAT_LABEL = { off: "Repeat: off", all: "Repeat: all", one: "Repeat: one" };
// Drawn icons rather than media glyphs, which many system fonts (and TV browsers) lack.
const ICONS = {
  previous: "M6 5h2v14H6zM20 5v14L9 12z",
  next: "M16 5h2v14h-2zM4 5v14l11-7z",
  play: "M7 4v16l13-8z",
  pause: "M6 4h4v16H6zM14 4h4v16h-4z",
  repeat: "M7 7h10v3l4-4-4-4v3H5v6h2zM17 17H7v-3l-4 4 4 4v-3h12v-6h-2z",
  queue: "M3 6h13v2H3zM3 11h13v2H3zM3 16h9v2H3zM18 14v6l4-3z",
};
const SVG = "http://www.w3.org/2000/svg";

function icon(name) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  svg.setAttribute("class", "mp-icon");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

let bar = null;
const ui = {};

// Each button names itself to assistive technology; the glyph is only for the eye.
function iconButton(label, name, onclick, attrs = {}) {
  return h("button", { type: "button", class: "mp-button", "aria-label": label, title: label, onclick, ...attrs }, icon(name));
}

export function mount() {
  if (bar) return;
  // Its own stylesheet, so pages that never play music do not carry it.
  document.head.append(h("link", { rel: "stylesheet", href: "/static/mini-player.css" }));
  ui.title = h("a", { class: "mp-title", href: "#/" });
  ui.sub = h("span", { class: "mp-sub" });
  ui.error = h("p", { class: "mp-error", role: "alert", hidden: true });
  ui.play = iconButton("Play", "play", () => music.toggle(), { class: "mp-button mp-play" });
  ui.elapsed = h("span", { class: "mp-time", "aria-hidden": "true" }, "0:00");
  ui.total = h("span", { class: "mp-time", "aria-hidden": "true" }, "0:00");
  ui.seek = h("input", { type: "range", class: "mp-seek", min: "0", max: "0", step: "1", value: "0", "aria-label": "Seek" });
  ui.seek.addEventListener("input", () => music.seek(Number(ui.seek.value)));
  ui.queueToggle = h("button", { type: "button", class: "mp-button mp-queue-toggle", "aria-expanded": "false", "aria-controls": "mp-queue" },
    icon("queue"), "Queue");
  ui.queueToggle.addEventListener("click", () => openQueue(ui.queueToggle.getAttribute("aria-expanded") !== "true"));
  ui.list = h("ol", { class: "mp-list", "aria-label": "Queued tracks" });
  ui.shuffle = h("button", { type: "button", class: "mp-button", "aria-pressed": "false" }, "Shuffle");
  ui.shuffle.addEventListener("click", () => music.setShuffle(ui.shuffle.getAttribute("aria-pressed") !== "true"));
  ui.repeat = h("button", { type: "button", class: "mp-button" }, REPEAT_LABEL.off);
  ui.repeat.addEventListener("click", () => {
    const modes = music.REPEAT_MODES;
    music.setRepeat(modes[(modes.indexOf(music.state.repeat) + 1) % modes.length]);
  });
  ui.repeatQuick = iconButton(REPEAT_LABEL.off, "repeat", () => ui.repeat.click(), { class: "mp-button mp-repeat" });
  ui.repeatOne = h("span", { class: "mp-repeat-one", "aria-hidden": "true" }, "1");
  ui.repeatQuick.append(ui.repeatOne);
  ui.lyrics = lyricsPanel({ onOpen: () => openQueue(false) });
  ui.panel = h("div", { class: "mp-panel", id: "mp-queue", hidden: true },
    h("div", { class: "mp-panel-head" }, h("h2", { id: "mp-queue-heading" }, "Queue"),
      h("div", { class: "mp-panel-actions" }, ui.shuffle, ui.repeat,
        h("button", { type: "button", class: "mp-button", onclick: () => openQueue(false, true) }, "Close"))),
    ui.list);
  bar = h("section", { class: "mini-player", id: "mini-player", "aria-label": "Music player", hidden: true },
    music.audio, ui.panel, ui.lyrics.panel,
    h("div", { class: "mp-bar" },
      h("div", { class: "mp-now" }, ui.title, ui.sub, ui.error),
      h("div", { class: "mp-controls" },
        iconButton("Previous track", "previous", () => music.previous()), ui.play, iconButton("Next track", "next", () => music.next()),
        ui.repeatQuick),
      h("div", { class: "mp-progress" }, ui.elapsed, ui.seek, ui.total),
      h("div", { class: "mp-panel-toggles" }, ui.lyrics.toggle, ui.queueToggle)));
  document.body.append(bar);
  bar.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    if (!ui.panel.hidden) { event.stopPropagation(); openQueue(false, true); }
    else if (ui.lyrics.isOpen()) { event.stopPropagation(); ui.lyrics.close(true); }
  });
  // The page pads its bottom by the bar's height, which wraps to two rows on a phone.
  new ResizeObserver(() => {
    document.documentElement.style.setProperty("--mini-player", `${bar.hidden ? 0 : bar.querySelector(".mp-bar").offsetHeight}px`);
  }).observe(bar);
  // Through music.media: the playing element is replaced at each gapless hand-over.
  const a = music.media;
  for (const type of ["play", "pause", "ended", "playing"]) a.addEventListener(type, drawPlayState);
  a.addEventListener("timeupdate", drawTime);
  a.addEventListener("durationchange", drawTime);
  a.addEventListener("emptied", drawTime);
  music.events.addEventListener("change", draw);
  draw();
}

function openQueue(open, returnFocus = false) {
  if (open) ui.lyrics.close(false);
  ui.panel.hidden = !open;
  ui.queueToggle.setAttribute("aria-expanded", String(open));
  if (open) (ui.list.querySelector('[aria-current="true"] .mp-item-play') || ui.list.querySelector("button"))?.focus();
  else if (returnFocus) ui.queueToggle.focus();
}

function drawPlayState() {
  const playing = !music.audio.paused && !music.audio.ended;
  ui.play.setAttribute("aria-label", playing ? "Pause" : "Play");
  ui.play.title = playing ? "Pause" : "Play";
  ui.play.replaceChildren(icon(playing ? "pause" : "play"));
}

function drawTime() {
  // The track's own time: with gapless play the element also holds the tracks before it.
  const total = music.length();
  const duration = isFinite(total) ? total : music.current()?.duration || 0;
  const at = music.elapsed();
  ui.elapsed.textContent = formatDuration(at);
  ui.total.textContent = formatDuration(duration);
  ui.seek.max = String(Math.max(0, Math.floor(duration)));
  ui.seek.value = String(Math.floor(at));
  ui.seek.setAttribute("aria-valuetext", `${formatDuration(at)} of ${formatDuration(duration)}`);
}

function draw() {
  const track = music.current();
  const showing = Boolean(track);
  bar.hidden = !showing;
  document.body.classList.toggle("has-mini-player", showing);
  if (!showing) { openQueue(false); ui.lyrics.close(false); return; }
  ui.title.textContent = track.title;
  ui.title.href = `#/item/${track.id}`;
  ui.sub.textContent = subtitle(track);
  ui.error.textContent = music.state.error;
  ui.error.hidden = !music.state.error;
  ui.shuffle.setAttribute("aria-pressed", String(music.state.shuffled));
  ui.repeat.textContent = REPEAT_LABEL[music.state.repeat];
  ui.repeatQuick.setAttribute("aria-label", REPEAT_LABEL[music.state.repeat]);
  ui.repeatQuick.title = REPEAT_LABEL[music.state.repeat];
  ui.repeatQuick.setAttribute("aria-pressed", String(music.state.repeat !== "off"));
  ui.repeatOne.hidden = music.state.repeat !== "one";
  drawList();
  drawPlayState();
  drawTime();
}

function drawList() {
  // Moving or removing a track redraws the list: focus goes back to the same control on its new row.
  const focused = document.activeElement && ui.list.contains(document.activeElement) ? document.activeElement : null;
  const keep = focused ? [focused.dataset.id, focused.dataset.action] : null;
  clear(ui.list);
  const { tracks, index } = music.state;
  tracks.forEach((track, at) => {
    const label = track.title;
    const button = (action, text, aria, onclick, disabled = false, title = aria) =>
      h("button", { type: "button", class: `mp-button small mp-item-${action}`, "aria-label": aria, title, disabled,
        dataset: { id: track.id, action }, onclick }, text);
    // The row's own text names its play button (a label hiding the album and artist it shows would not match).
    const row = [h("span", { class: "visually-hidden" }, "Play "), h("span", { class: "mp-item-title" }, label),
      h("span", { class: "visually-hidden" }, ", "), h("span", { class: "mp-item-sub" }, subtitle(track))];
    ui.list.append(h("li", { "aria-current": at === index ? "true" : null },
      button("play", row, null, () => music.playAt(at), false, `Play ${label}`),
      button("up", "↑", `Move ${label} up`, () => music.move(at, -1), at === 0),
      button("down", "↓", `Move ${label} down`, () => music.move(at, 1), at === tracks.length - 1),
      button("remove", "✕", `Remove ${label} from the queue`, () => music.remove(at))));
  });
  if (keep) {
    const same = ui.list.querySelector(`[data-id="${CSS.escape(keep[0])}"][data-action="${keep[1]}"]`);
    const target = same && !same.disabled ? same : ui.list.querySelector(`[data-id="${CSS.escape(keep[0])}"][data-action="play"]`) || ui.list.querySelector("button");
    (target || ui.queueToggle).focus();
  }
}
