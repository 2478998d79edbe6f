// Home: shelves of continue watching, next up, favourites and what is new in each library, each a row that scrolls sideways.
import { get, query, has } from "/static/api.js";
import { h } from "/static/dom.js";
import { setTitle } from "/static/app.js";
import { shelf } from "/static/cards.js";

const PER_SHELF = 16;

function section(id, heading, items, empty = null) {
  if (!items.length && !empty) return null;
  return h("section", { class: "shelf-section", "aria-labelledby": id },
    h("h2", { id }, heading),
    items.length ? shelf(items, typeof heading === "string" ? heading : heading.textContent) : h("p", { class: "muted" }, empty));
}

// Started and not finished, newest first: the play state says how far, the listing says what it is.
async function continueWatching() {
  if (!(await has("GET", "/api/continue-watching"))) return [];
  const states = await get(`/api/continue-watching?limit=${PER_SHELF}`);
  if (!states.length) return [];
  const items = await get(`/api/listed${query({ ids: states.map((s) => s.item_id).join(",") })}`);
  const byId = new Map(states.map((s) => [s.item_id, s]));
  return items.map((item) => {
    const state = byId.get(item.id);
    return { ...item, position: state.position, duration: state.duration || item.duration };
  });
}

// The viewer's favourites, newest first, as cards.
async function favourites() {
  const states = await get(`/api/favourites?limit=${PER_SHELF}`);
  return states.length ? get(`/api/listed${query({ ids: states.map((s) => s.item_id).join(",") })}`) : [];
}

// The libraries whose "Recently added" shelf Home shows, in the owner's order (Settings › General › Home).
// Should the order not load, every library still gets its shelf in the usual order: a gap, not an error.
async function shelfLibraries(libraries) {
  try {
    const shelves = await get("/api/home/shelves");
    return shelves.filter((s) => !s.hidden).map((s) => ({ id: s.library_id, name: s.name }));
  } catch {
    return libraries;
  }
}

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
  // Every shelf loads at once; one that fails leaves a gap rather than an error page.
  const quiet = (promise) => promise.catch(() => []);
  // The order is asked beside the shelves rather than before them, so it costs Home no extra round trip.
  const [libraries, resume, nextUp, liked, ...recent] = await Promise.all([
    shelfLibraries(session.libraries),
    quiet(continueWatching()),
    quiet(get(`/api/next-up?limit=${PER_SHELF}`)),
    quiet(favourites()),
    ...session.libraries.map((lib) => quiet(get(`/api/recent/grouped${query({ library_id: lib.id, limit: PER_SHELF })}`))),
  ]);
  const newIn = new Map(session.libraries.map((lib, i) => [lib.id, recent[i]]));
  main.append(...[
    section("h-continue", "Continue watching", resume),
    section("h-next-up", "Next up", nextUp),
    section("h-favourites", "Favourites", liked),
    // A library with nothing in it yet gets no shelf: with twenty libraries, twenty empty rows bury the rest.
    ...libraries.map((lib) => section(`h-recent-${lib.id}`,
      h("a", { href: `#/library/${lib.id}` }, `Recently added in ${lib.name}`), newIn.get(lib.id) || [])),
  ].filter(Boolean));
  if (!main.querySelector("section")) main.append(h("p", { class: "muted" }, "Nothing has been added to your libraries yet."));
}
