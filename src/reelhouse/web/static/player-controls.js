// The parts of the video player around the <video>: keyboard shortcuts and their help, chapter marks and
// chapter skip, the Up next card at the end of an episode, and why the server converts the file.
import { h, formatDuration } from "/static/dom.js";

let styled = false;
export function addStyles() {
  if (styled) return;
  styled = true;
  document.head.append(h("link", { rel: "stylesheet", href: "/static/player.css" }));
}

const CODECS = { h264: "H.264", hevc: "HEVC", vp8: "VP8", vp9: "VP9", av1: "AV1", mpeg4: "MPEG-4 Part 2", mpeg2video: "MPEG-2",
  aac: "AAC", mp3: "MP3", ac3: "Dolby Digital", eac3: "Dolby Digital Plus", dts: "DTS", truehd: "Dolby TrueHD", opus: "Opus",
  vorbis: "Vorbis", flac: "FLAC" };
const nameOf = (codec) => CODECS[codec] || codec.toUpperCase();
const joined = (words, last) => (words.length < 2 ? words.join("") : `${words.slice(0, -1).join(", ")} ${last} ${words.at(-1)}`);

// The server's reasons are terse ("video hevc 1920x1080 not supported"); the viewer reads a sentence that says
// what this browser lacks and what the server does about it. `profile`: what this browser told the server it
// plays, which tells a codec it lacks from a picture too large for it. Empty for direct play.
export function reasonText(decision, profile) {
  if (decision.method !== "transcode" && decision.method !== "remux") return "";
  const cannot = [];
  const files = [];
  const other = [];
  for (const reason of decision.reasons || []) {
    let m;
    if ((m = /^video (\S+) (\d+)x(\d+) not supported$/.exec(reason))) {
      if (profile && profile.video_codecs.includes(m[1])) other.push(`the picture (${m[2]}×${m[3]}) is larger than this screen plays`);
      else cannot.push(`${nameOf(m[1])} video`);
    }
    else if ((m = /^audio (\S+) not supported$/.exec(reason))) cannot.push(`${nameOf(m[1])} audio`);
    else if ((m = /^container (\S+) not supported$/.exec(reason))) files.push(`${m[1].split(",")[0].toUpperCase()} files`);
    else if ((m = /^bitrate (\d+) kbit\/s over the (\d+) kbit\/s cap$/.exec(reason))) other.push(`the file's ${m[1]} kbit/s is over the ${m[2]} kbit/s limit`);
    else if (reason === "another audio track chosen") other.push("another audio track was chosen");
    else if (reason === "burning in subtitles") other.push("the subtitles are drawn into the picture");
    else other.push(reason);
  }
  // The codecs first: they are what the viewer can look up; the container is the lesser part of the story.
  cannot.push(...files);
  const why = [cannot.length ? `Your browser cannot play ${joined(cannot, "or")}` : "", ...other].filter(Boolean);
  const doing = decision.method === "transcode" ? "converting" : "repackaging for this browser without re-encoding";
  if (!why.length) return decision.method === "transcode" ? "Converting for this browser." : "Repackaging for this browser.";
  const text = `${why.join("; ")}; ${doing}.`;
  return text[0].toUpperCase() + text.slice(1);
}

// Marks on a seek track of its own (the native controls keep theirs), a line naming the chapter playing, and
// Previous/Next chapter buttons. Null when the file has no chapters.
export function chapterBar(media, chapters, knownDuration) {
  const list = (chapters || []).filter((c) => isFinite(c.start)).sort((a, b) => a.start - b.start);
  if (!list.length) return null;
  const total = () => (isFinite(media.duration) && media.duration > 0 ? media.duration : knownDuration || list.at(-1).end || 0);
  const seek = (at) => { media.currentTime = Math.max(0, at); };
  const name = (c, at) => c.title || `Chapter ${at + 1}`;
  const fill = h("div", { class: "seek-fill" });
  const marks = list.map((c, at) => h("button", {
    type: "button", class: "chapter-mark", title: `${name(c, at)} (${formatDuration(c.start)})`,
    "aria-label": `Chapter ${at + 1}: ${name(c, at)}, at ${formatDuration(c.start)}`, onclick: () => seek(c.start),
  }));
  const track = h("div", { class: "seek-track", role: "group", "aria-label": "Chapters" }, fill, marks);
  // A click on the track between marks seeks there, like any seek bar.
  track.addEventListener("click", (event) => {
    if (event.target.closest(".chapter-mark") || !total()) return;
    const box = track.getBoundingClientRect();
    seek(((event.clientX - box.left) / box.width) * total());
  });
  const now = h("p", { class: "chapter-now muted" });
  const current = () => {
    let at = 0;
    list.forEach((c, i) => { if (c.start <= media.currentTime + 0.05) at = i; });
    return at;
  };
  const previous = () => {
    const at = current();
    // Well into a chapter, "previous" means its own start, as on a disc player.
    seek(media.currentTime - list[at].start > 2 || at === 0 ? list[at].start : list[at - 1].start);
  };
  const next = () => {
    const ahead = list.find((c) => c.start > media.currentTime + 0.5);
    if (ahead) seek(ahead.start);
  };
  const draw = () => {
    const length = total();
    if (length) marks.forEach((mark, at) => mark.style.setProperty("left", `${(list[at].start / length) * 100}%`));
    fill.style.setProperty("width", length ? `${Math.min(100, (media.currentTime / length) * 100)}%` : "0");
    const at = current();
    now.textContent = `Chapter ${at + 1} of ${list.length}: ${name(list[at], at)}`;
    marks.forEach((mark, i) => mark.classList.toggle("current", i === at));
  };
  for (const type of ["loadedmetadata", "durationchange", "timeupdate", "seeked"]) media.addEventListener(type, draw);
  draw();
  const buttons = [
    h("button", { type: "button", onclick: previous }, "Previous chapter"),
    h("button", { type: "button", onclick: next }, "Next chapter"),
  ];
  return { element: h("div", { class: "chapters" }, track, now), buttons, previous, next };
}

// Play/pause, a seek slider and the time, in the page: a remote's arrows never reach inside the <video>'s own
// controls, but they reach these. On the slider Left and Right seek by `stepBy` (10 s, like the page's keys);
// Up and Down leave it like any other control.
export function transportBar(media, stepBy) {
  const toggle = h("button", { type: "button", class: "play-toggle" }, "Play");
  const seek = h("input", { type: "range", class: "player-seek", min: "0", max: "0", step: "1", value: "0", "aria-label": "Position" });
  const time = h("span", { class: "player-time muted" });
  toggle.addEventListener("click", () => { if (media.paused) media.play().catch(() => {}); else media.pause(); });
  seek.addEventListener("input", () => { media.currentTime = Number(seek.value); });
  seek.addEventListener("keydown", (event) => {
    if (event.key !== "ArrowLeft" && event.key !== "ArrowRight") return;
    // The slider's own step would be one second; a remote's press moves as far as the page's arrow keys.
    event.preventDefault();
    stepBy(event.key === "ArrowLeft" ? -10 : 10);
  });
  const draw = () => {
    const total = isFinite(media.duration) && media.duration > 0 ? media.duration : 0;
    toggle.textContent = media.paused ? "Play" : "Pause";
    seek.max = String(Math.floor(total));
    seek.value = String(Math.floor(media.currentTime));
    const said = `${formatDuration(media.currentTime) || "0:00"} of ${formatDuration(total) || "0:00"}`;
    seek.setAttribute("aria-valuetext", said);
    time.textContent = said.replace(" of ", " / ");
  };
  for (const type of ["play", "pause", "loadedmetadata", "durationchange", "timeupdate", "seeked", "emptied"]) media.addEventListener(type, draw);
  draw();
  return { element: h("div", { class: "transport", role: "group", "aria-label": "Playback" }, toggle, seek, time), toggle, seek };
}

export const SHORTCUTS = [
  ["Space or K", "Play or pause"], ["← / →", "Back or forward 10 seconds"], ["↑ / ↓", "Volume up or down (on a TV, ↓ goes to the player's buttons)"],
  ["Page Up / Page Down", "Previous or next chapter"], ["F", "Full screen"], ["M", "Mute"],
  ["C", "Subtitles: off, then each track in turn"], ["N", "Next episode"], ["Esc", "Cancel Up next"], ["?", "This help"],
];

// A modal list of the keys; Escape or Close shuts it (a <dialog> does both by itself).
export function shortcutsHelp() {
  const dialog = h("dialog", { class: "confirm shortcuts", "aria-labelledby": "shortcuts-title" },
    h("h2", { id: "shortcuts-title" }, "Keyboard shortcuts"),
    h("dl", {}, SHORTCUTS.map(([keys, what]) => [h("dt", {}, h("kbd", {}, keys)), h("dd", {}, what)])),
    h("form", { method: "dialog" }, h("button", { type: "submit" }, "Close")));
  const toggle = () => (dialog.open ? dialog.close() : dialog.showModal());
  const button = h("button", { type: "button", "aria-haspopup": "dialog", onclick: toggle }, "Keyboard shortcuts");
  return { dialog, button, toggle };
}

// Keys act on the player while the page has focus, but not while someone types in a field or presses Space or
// Enter on a button or link (that key is the button's). `actions` maps a key name to a function.
export function playerKeys(actions) {
  const onKey = (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target instanceof Element ? event.target : document.body;
    if (target.closest("input, select, textarea, [contenteditable], dialog, .mini-player")) return;
    if ((event.key === " " || event.key === "Enter") && target.closest("button, a, summary")) return;
    // On a button or link the arrows move between controls, as a remote expects, instead of seeking.
    if (event.key.startsWith("Arrow") && target.closest("button, a[href], summary")) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const action = actions[key === " " ? "Space" : key];
    if (!action) return;
    // Also keeps the native controls (when the <video> has focus) from acting on the same key a second time.
    if (action() !== false) event.preventDefault();
  };
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}

export function episodeCode(item) {
  const two = (n) => String(n).padStart(2, "0");
  return item.parent_index !== null && item.parent_index !== undefined && item.index !== null && item.index !== undefined
    ? `S${two(item.parent_index)}E${two(item.index)}` : "";
}

// "Up next: S01E03 · Title" with a countdown; at zero `play` runs. Cancel (or `cancel()`, which Escape calls)
// stops the countdown and removes the card.
export function upNextCard(next, play, seconds = 10) {
  let left = seconds;
  const count = h("span", {}, String(left));
  const label = [episodeCode(next), next.title].filter(Boolean).join(" · ");
  let timer = null;
  const stop = () => { clearInterval(timer); timer = null; };
  const cancel = () => { stop(); card.remove(); };
  const card = h("section", { class: "up-next", "aria-labelledby": "up-next-title" },
    h("h2", { id: "up-next-title" }, `Up next: ${label}`),
    h("p", {}, "Plays in ", count, " s"),
    h("div", { class: "up-next-buttons" },
      h("button", { type: "button", class: "primary", onclick: () => { stop(); play(); } }, "Play now"),
      h("button", { type: "button", onclick: cancel }, "Cancel")));
  timer = setInterval(() => {
    left -= 1;
    count.textContent = String(Math.max(0, left));
    if (left <= 0) { stop(); play(); }
  }, 1000);
  return { card, label, cancel, active: () => timer !== null };
}
