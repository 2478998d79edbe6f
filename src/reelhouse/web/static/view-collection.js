// A collection (a Kodi NFO's <set>): its films in release order, and a movie library's shelf of collections.
// The server lists only what the viewer may see; a collection with nothing visible is missing like any page.
import { get, artworkUrl } from "/static/api.js";
import { h } from "/static/dom.js";
import { setTitle } from "/static/app.js";
import { posterGrid, placeholder } from "/static/cards.js";

const collectionUrl = (id) => `/api/collections/${encodeURIComponent(id)}`;
export const collectionHref = (id) => `#/collection/${encodeURIComponent(id)}`;

function count(n) { return n === 1 ? "1 film" : `${n} films`; }

export async function render({ main, params }) {
  const heading = h("h1", {}, "…");
  main.append(heading);
  const found = await get(collectionUrl(params.id));
  heading.textContent = found.name;
  setTitle(found.name);
  // The collection belongs to the library of its first film the viewer sees, for the way back.
  const libraryId = found.items[0]?.library_id;
  if (libraryId) {
    heading.before(h("nav", { "aria-label": "Breadcrumb", class: "crumbs" }, h("ol", {},
      h("li", {}, h("a", { href: `#/library/${encodeURIComponent(libraryId)}?view=collections` }, "Collections")),
      h("li", {}, h("span", { "aria-current": "page" }, found.name)))));
  }
  main.append(h("p", { class: "meta", id: "collection-count" }, `${count(found.items.length)}, in release order`));
  main.append(posterGrid(found.items, `Films of ${found.name}`));
}

function collectionCard(card) {
  const art = card.poster_item_id
    ? h("img", { src: artworkUrl({ id: card.poster_item_id }, "poster", 320), alt: "", loading: "lazy", decoding: "async", width: 160, height: 240 })
    : placeholder({ title: card.name });
  return h("li", { class: "card-item tall" },
    h("a", { href: collectionHref(card.id), class: "poster-link" },
      h("span", { class: "poster" }, art),
      h("span", { class: "title" }, card.name),
      h("span", { class: "meta" }, count(card.count))));
}

// A movie library's collections as a grid (the library's Collections view); null when it has none to show.
export async function libraryCollections(libraryId) {
  const cards = await get(`/api/libraries/${encodeURIComponent(libraryId)}/collections`).catch(() => []);
  if (!cards.length) return h("p", { class: "muted" }, "No collections here yet: they come from the <set> of each film's NFO.");
  return h("ul", { class: "grid collections", "aria-label": "Collections" }, cards.map(collectionCard));
}
