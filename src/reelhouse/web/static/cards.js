// Poster cards and item links: one look for grids on home, library, search and item pages.
import { artworkUrl } from "/static/api.js";
import { h, formatDuration } from "/static/dom.js";

export const PLAYABLE = new Set(["movie", "episode", "track", "video", "extra"]);

export function itemHref(item) {
  return item.kind === "photo" ? `#/photo/${item.id}` : `#/item/${item.id}`;
}

export function subtitle(item) {
  if (item.kind === "episode" && item.index !== null) {
    return item.parent_index !== null ? `S${item.parent_index} · E${item.index}` : `Episode ${item.index}`;
  }
  if (item.kind === "season" && item.index !== null) return `Season ${item.index}`;
  if (item.kind === "track" && item.index !== null) return `Track ${item.index}`;
  return item.year ? String(item.year) : "";
}

export function posterCard(item, { width = 320 } = {}) {
  const letter = (item.title || "?").trim().charAt(0).toUpperCase();
  const art = item.has_artwork
    ? h("img", { src: artworkUrl(item, "poster", width), alt: "", loading: "lazy", decoding: "async", width: 160, height: item.kind === "photo" || item.kind === "album" || item.kind === "artist" || item.kind === "track" ? 160 : 240 })
    : h("span", { class: "placeholder", "aria-hidden": "true" }, letter);
  const shape = ["album", "artist", "track", "photo"].includes(item.kind) ? "square" : "tall";
  return h("li", { class: `card-item ${shape}${item.missing ? " missing" : ""}` },
    h("a", { href: itemHref(item), class: "poster-link" },
      h("span", { class: "poster" }, art),
      h("span", { class: "title" }, item.title),
      h("span", { class: "meta" }, subtitle(item), item.missing ? " · file missing" : "")));
}

export function posterGrid(items, label) {
  return h("ul", { class: "grid", "aria-label": label }, items.map((item) => posterCard(item)));
}

export function row(item, action = null) {
  return h("li", { class: "row-item" },
    h("a", { href: itemHref(item) }, item.index !== null && item.kind !== "season" ? `${item.index}. ` : "", item.title),
    h("span", { class: "meta" }, item.kind === "season" ? "" : subtitle(item)),
    action);
}

export { formatDuration };
