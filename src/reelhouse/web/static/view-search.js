// Search across every library the viewer may see.
import { get, query as qs } from "/static/api.js";
import { h } from "/static/dom.js";
import { setTitle } from "/static/app.js";
import { posterGrid, withFamily } from "/static/cards.js";

export async function render({ main, query }) {
  const q = (query.get("q") || "").trim();
  const input = document.getElementById("search-q");
  if (input && input.value !== q) input.value = q;
  setTitle(q ? `Search: ${q}` : "Search");
  main.append(h("h1", {}, q ? `Results for “${q}”` : "Search"));
  if (!q) { main.append(h("p", {}, "Type in the search box at the top to find movies, shows, music and photos.")); return; }
  // Episodes and tracks are named with their show or album: "Show — S02E05 · Title".
  const items = await withFamily(await get(`/api/search${qs({ q: q.slice(0, 200), limit: 60 })}`));
  main.append(h("p", { class: "muted", role: "status" }, items.length ? `${items.length} found.` : "Nothing matches that search."));
  if (items.length) main.append(posterGrid(items, "Search results"));
}
