// Home: continue watching (when the server keeps play state) and recently added, per library.
import { get, query, has } from "/static/api.js";
import { h } from "/static/dom.js";
import { setTitle } from "/static/app.js";
import { posterGrid } from "/static/cards.js";

export async function render({ main, session }) {
  setTitle("Home");
  main.append(h("h1", {}, "Home"));
  if (!session.libraries.length) {
    const admin = ["owner", "admin"].includes(session.me.role);
    main.append(h("p", {}, admin
      ? ["There are no libraries yet. ", h("a", { href: "#/settings/libraries" }, "Add a library"), " to start."]
      : "No libraries have been shared with you yet."));
    return;
  }
  if (await has("GET", "/api/continue-watching")) {
    try {
      const states = await get("/api/continue-watching?limit=12");
      // Play states name items; the cards need the items themselves (at most twelve small requests).
      const items = (await Promise.all(states.map((s) => get(`/api/items/${encodeURIComponent(s.item_id)}`).catch(() => null)))).filter(Boolean);
      if (items.length) main.append(h("section", { "aria-labelledby": "h-continue" }, h("h2", { id: "h-continue" }, "Continue watching"), posterGrid(items, "Continue watching")));
    } catch { /* continue watching is a convenience; the rest of the page still works */ }
  }
  const sections = await Promise.all(session.libraries.map(async (lib) => {
    const items = await get(`/api/recent${query({ library_id: lib.id, limit: 12 })}`);
    const id = `h-recent-${lib.id}`;
    return h("section", { "aria-labelledby": id },
      h("h2", { id }, h("a", { href: `#/library/${lib.id}` }, `Recently added in ${lib.name}`)),
      items.length ? posterGrid(items, `Recently added in ${lib.name}`) : h("p", { class: "muted" }, "Nothing here yet."));
  }));
  main.append(...sections);
}
