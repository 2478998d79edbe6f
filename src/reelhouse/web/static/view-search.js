// Search across every library the viewer may see, grouped by kind as the header's suggestions are.
import { h } from "/static/dom.js";
import { setTitle } from "/static/app.js";
import { posterGrid } from "/static/cards.js";
import { initials } from "/static/item-people.js";
import { groupLabel, personHref, searchGroups } from "/static/search-box.js";

const PER_KIND = 20;

function people(found) {
  return h("ul", { class: "people", "aria-label": "Search results: People" }, found.map((person) => {
    const photo = person.photo_item_id
      ? h("img", { src: `/api/items/${encodeURIComponent(person.photo_item_id)}/people/${encodeURIComponent(person.id)}/photo`, alt: "", loading: "lazy", width: 96, height: 96 })
      : h("span", { class: "person-initials", "aria-hidden": "true" }, initials(person.name));
    return h("li", { class: "person" }, h("a", { href: personHref(person), class: "person-link" },
      h("span", { class: "person-photo" }, photo), h("span", { class: "title" }, person.name)));
  }));
}

export async function render({ main, query }) {
  const q = (query.get("q") || "").trim();
  const input = document.getElementById("search-q");
  if (input && input.value !== q) input.value = q;
  setTitle(q ? `Search: ${q}` : "Search");
  main.append(h("h1", {}, q ? `Results for “${q}”` : "Search"));
  if (!q) { main.append(h("p", {}, "Type in the search box at the top to find movies, shows, music and photos.")); return; }
  // Episodes and tracks come named with their show or album: "Show — S02E05 · Title".
  const groups = await searchGroups(q, { perKind: PER_KIND });
  const count = groups.reduce((n, g) => n + g.items.length, 0);
  main.append(h("p", { class: "muted", role: "status" }, count ? `${count} found.` : "Nothing matches that search."));
  for (const group of groups) {
    const label = groupLabel(group.kind);
    main.append(h("section", { class: "search-section", "aria-label": label }, h("h2", {}, label),
      group.kind === "person" ? people(group.items) : posterGrid(group.items, `Search results: ${label}`)));
  }
}
