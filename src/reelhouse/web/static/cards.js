// Poster cards, shelves and item rows: one look for home, library, search and item pages.
import { artworkUrl, get } from "/static/api.js";
import { h, formatDuration } from "/static/dom.js";

export const PLAYABLE = new Set(["movie", "episode", "track", "video", "extra"]);
const SQUARE = new Set(["album", "artist", "track", "photo"]);
const TINTS = 12;

export function itemHref(item) {
  return item.kind === "photo" ? `#/photo/${item.id}` : `#/item/${item.id}`;
}

const pad = (n) => String(n).padStart(2, "0");

// "S02E05": the form people search and talk in; a missing season number leaves just "E05".
export function episodeCode(item) {
  if (item.index === null || item.index === undefined) return "";
  return `${item.parent_index !== null && item.parent_index !== undefined ? `S${pad(item.parent_index)}` : ""}E${pad(item.index)}`;
}

// How a listing names an item on one line: "Show — S02E05 · Title" for an episode, the title otherwise.
export function displayTitle(item) {
  if (item.kind === "episode") {
    const code = episodeCode(item);
    const tail = [code, item.title].filter(Boolean).join(" · ");
    return item.top_title ? `${item.top_title} — ${tail}` : tail;
  }
  return item.title;
}

// The line under a title: a track's album and artist, a season's number, otherwise the year.
export function subtitle(item) {
  if (item.kind === "episode") return item.top_title ? "" : episodeCode(item);
  if (item.kind === "season" && item.index !== null) return `Season ${item.index}`;
  if (item.kind === "track") {
    const family = [item.parent_title, item.top_title].filter(Boolean);
    return family.length ? family.join(" · ") : item.index !== null ? `Track ${item.index}` : "";
  }
  if (item.kind === "album" && item.top_title) return [item.top_title, item.year].filter(Boolean).join(" · ");
  return item.year ? String(item.year) : "";
}

// The same title always gets the same tint, so a placeholder is recognisable from page to page.
function tint(text) {
  let hash = 0;
  for (const ch of text) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return hash % TINTS;
}

export function placeholder(item) {
  // An episode or a season wears its show's name and colour, so a show's cards look like one family.
  const family = (item.kind === "episode" || item.kind === "season") && item.top_title ? item.top_title : "";
  const text = family || item.title || "Untitled";
  return h("span", { class: `placeholder tint-${tint(text)}`, "aria-hidden": "true" },
    h("span", { class: "placeholder-title" }, text,
      item.kind === "season" && family ? h("span", { class: "placeholder-sub" }, item.title) : null));
}

// Partly watched: how far along, as a bar the eye reads at once and a value a screen reader can say.
export function progressBar(item) {
  const duration = item.duration || 0;
  if (!duration || !item.position || item.position <= 0 || item.watched) return null;
  const value = Math.min(item.position, duration);
  return h("progress", { class: "watch-progress", max: Math.round(duration), value: Math.round(value),
    "aria-label": `${Math.round((100 * value) / duration)} % watched` });
}

export function posterCard(item, { width = 320, shelf = false } = {}) {
  const square = SQUARE.has(item.kind);
  const art = item.has_artwork
    ? h("img", { src: artworkUrl(item, "poster", width), alt: "", loading: "lazy", decoding: "async", width: 160, height: square ? 160 : 240 })
    : placeholder(item);
  return h("li", { class: `card-item ${square ? "square" : "tall"}${item.missing ? " missing" : ""}` },
    h("a", { href: itemHref(item), class: "poster-link", tabindex: shelf ? "-1" : null },
      h("span", { class: "poster" }, art, progressBar(item)),
      h("span", { class: "title" }, displayTitle(item)),
      h("span", { class: "meta" }, subtitle(item), item.missing ? " · file missing" : "")));
}

export function posterGrid(items, label) {
  return h("ul", { class: "grid", "aria-label": label }, items.map((item) => posterCard(item)));
}

// A horizontal shelf: one tab stop for the whole row (roving focus); left and right move between its cards, up
// and down to the card last focused on the shelf above or below, so a remote's arrows reach everything.
export function shelf(items, label) {
  const list = h("ul", { class: "shelf", "aria-label": label }, items.map((item) => posterCard(item, { shelf: true })));
  const links = () => [...list.querySelectorAll("a.poster-link")];
  const first = links()[0];
  if (first) first.tabIndex = 0;
  list.addEventListener("keydown", (event) => {
    const all = links();
    const at = all.indexOf(document.activeElement);
    if (at < 0) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      const shelves = [...document.querySelectorAll("ul.shelf")];
      const other = shelves[shelves.indexOf(list) + (event.key === "ArrowDown" ? 1 : -1)];
      const target = other && other.querySelector('a.poster-link[tabindex="0"]');
      if (!target) return;
      event.preventDefault();
      target.focus();
      target.scrollIntoView({ block: "nearest", inline: "nearest" });
      return;
    }
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: all.length - 1 }[event.key];
    if (to === undefined) return;
    // Left from the first card leaves the shelf (to the side navigation, by the app's arrow navigation).
    if (to < 0 && event.key === "ArrowLeft") return;
    event.preventDefault();
    const next = all[Math.max(0, Math.min(all.length - 1, to))];
    all[at].tabIndex = -1;
    next.tabIndex = 0;
    next.focus();
    next.scrollIntoView({ block: "nearest", inline: "nearest" });
  });
  return list;
}

export function row(item, action = null) {
  const bits = [
    item.kind === "season" ? "" : subtitle(item),
    item.duration ? formatDuration(item.duration) : "",
  ].filter(Boolean);
  return h("li", { class: `row-item${item.watched ? " watched" : ""}` },
    h("a", { href: itemHref(item) }, item.kind === "episode" ? displayTitle(item)
      : [item.index !== null && item.kind !== "season" ? `${item.index}. ` : "", item.title]),
    item.watched ? h("span", { class: "badge ok" }, "Watched") : null,
    progressBar(item),
    h("span", { class: "meta" }, bits.join(" · ")),
    action);
}

const LISTED_BATCH = 24;

// Listings from older routes name an episode or a track without its show or album; one request adds the family
// names, durations and the viewer's marks. Without them the list still shows, just plainer.
export async function withFamily(items, { all = false } = {}) {
  const wanted = items.filter((i) => all || i.kind === "episode" || i.kind === "track").map((i) => i.id).slice(0, 200);
  if (!wanted.length) return items;
  // The server takes LISTED_BATCH ids a request, so that its request line stays short.
  const batches = [];
  for (let at = 0; at < wanted.length; at += LISTED_BATCH) batches.push(wanted.slice(at, at + LISTED_BATCH));
  try {
    const answers = await Promise.all(batches.map((ids) => get(`/api/listed?ids=${ids.map(encodeURIComponent).join(",")}`)));
    const found = new Map(answers.flat().map((i) => [i.id, i]));
    return items.map((i) => found.get(i.id) || i);
  } catch {
    return items;
  }
}

export { formatDuration };
