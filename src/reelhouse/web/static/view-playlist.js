// One playlist: its entries in order, each with Play, Move up, Move down and Remove, and Play all. Tracks play in
// the mini-player (so they play on across pages); videos open the player page.
import { get, api } from "/static/api.js";
import { h, clear, formatDuration } from "/static/dom.js";
import { setTitle, announce } from "/static/app.js";
import { displayTitle, subtitle, itemHref } from "/static/cards.js";
import * as music from "/static/music.js";
import { playlistUrl, listedEntries, itemCount } from "/static/playlists.js";

export async function render({ main, params, navigate }) {
  const heading = h("h1", {}, "…");
  main.append(h("nav", { "aria-label": "Breadcrumb", class: "crumbs" },
    h("ol", {}, h("li", {}, h("a", { href: "#/playlists" }, "Playlists")), h("li", {}, h("span", { "aria-current": "page" }, "Playlist")))), heading);
  // What the server last said: ids in order (only those the viewer may see), and their listings at the same places.
  let playlist = await get(playlistUrl(params.id));
  let entries = await listedEntries(playlist.item_ids);
  const count = h("p", { class: "meta" });
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const list = h("ol", { class: "rows playlist-entries", "aria-label": "Playlist items" });
  const empty = h("p", { class: "muted" }, "Nothing in this playlist yet: add tracks and videos from their pages.");
  const playAll = h("button", { type: "button", class: "primary" }, "Play all");
  const failed = (err) => { error.textContent = err.message; error.hidden = false; };

  const tracks = () => entries.filter((e) => e && e.kind === "track");

  function playTrack(entry) {
    const queue = tracks();
    music.playQueue(queue, Math.max(0, queue.indexOf(entry)));
  }

  playAll.addEventListener("click", () => {
    // Music is queued whole in the mini-player; a playlist of videos only starts with its first.
    if (tracks().length) { playTrack(tracks()[0]); return; }
    const first = entries.find(Boolean);
    if (first) navigate(`/play/${first.id}`);
  });

  // Every change answers with the playlist as it now is; the page redraws from that, never from its own guess.
  async function change(body, message, focus = null) {
    try {
      playlist = await api("PUT", playlistUrl(params.id), body);
      entries = await listedEntries(playlist.item_ids);
      draw();
      announce(message);
      if (focus) list.querySelector(focus.selector(entries))?.focus();
    } catch (err) { failed(err); }
  }

  // A move, not the whole list again: entries the viewer can no longer see keep their places on the server.
  function move(at, delta) {
    const last = playlist.item_ids.length - 1;
    const name = entries[at] ? displayTitle(entries[at]) : "The item";
    const to = at + delta;
    const button = delta < 0 ? "up" : "down";
    // The moved row keeps focus on the same button, unless it reached the end that button cannot pass.
    const keep = (delta < 0 && to > 0) || (delta > 0 && to < last) ? button : button === "up" ? "down" : "up";
    change({ move: { from: at, to } }, `${name} moved to place ${to + 1}.`,
      { selector: () => `li:nth-child(${to + 1}) [data-move="${keep}"]` });
  }

  function entryRow(entry, at) {
    if (!entry) return h("li", { class: "row-item" }, h("span", {}, "An item that is no longer available"));
    const name = displayTitle(entry);
    const bits = [subtitle(entry), entry.duration ? formatDuration(entry.duration) : ""].filter(Boolean);
    const play = entry.kind === "track"
      ? h("button", { type: "button", class: "button small", "aria-label": `Play ${name}`, onclick: () => playTrack(entry) }, "Play")
      : h("a", { class: "button small", href: `#/play/${entry.id}`, "aria-label": `Play ${name}` }, "Play");
    const up = h("button", { type: "button", class: "button small", "aria-label": `Move up: ${name}`, dataset: { move: "up" },
      disabled: at === 0, onclick: () => move(at, -1) }, "Move up");
    const down = h("button", { type: "button", class: "button small", "aria-label": `Move down: ${name}`, dataset: { move: "down" },
      disabled: at === entries.length - 1, onclick: () => move(at, 1) }, "Move down");
    const remove = h("button", { type: "button", class: "button small danger", "aria-label": `Remove ${name}`,
      onclick: () => change({ remove_indexes: [at] }, `Removed ${name} from ${playlist.name}.`,
        { selector: () => (entries.length ? `li:nth-child(${Math.min(at, entries.length - 1) + 1}) [data-move="up"]` : "none") }) },
    "Remove");
    return h("li", { class: "row-item" }, h("a", { href: itemHref(entry) }, name), h("span", { class: "meta" }, bits.join(" · ")),
      play, up, down, remove);
  }

  function draw() {
    heading.textContent = playlist.name;
    setTitle(playlist.name);
    main.querySelector(".crumbs [aria-current]").textContent = playlist.name;
    count.textContent = itemCount(playlist.entry_count);
    error.hidden = true;
    clear(list);
    list.append(...entries.map(entryRow));
    empty.hidden = entries.length > 0;
    playAll.hidden = entries.length === 0;
  }

  main.append(count, h("div", { class: "actions" }, playAll), error, list, empty);
  draw();
}
