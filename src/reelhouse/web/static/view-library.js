// A library's poster grid: sorting, genre and year filters, and offset paging that stays fast at any size.
import { get, query as qs } from "/static/api.js";
import { h, field } from "/static/dom.js";
import { setTitle, navigate } from "/static/app.js";
import { posterGrid } from "/static/cards.js";
import { libraryCollections } from "/static/view-collection.js";

const LIMIT = 50;
const SORTS = [["title", "Title"], ["year", "Year"], ["added", "Date added"], ["rating", "Rating"]];

export async function render(context) {
  const { main, params, query, session } = context;
  const id = params.id;
  // A photos library is a timeline by date taken, with photo filters; every other kind is this poster grid.
  const known = (session?.libraries || []).find((l) => l.id === id);
  if (known?.kind === "photos") return (await import("/static/view-photos.js")).render(context);
  // Home videos open newest recorded first, like a camera roll.
  const recorded = known?.kind === "home_videos";
  const firstSort = recorded ? "taken" : "title";
  const sorts = recorded ? [["taken", "Date recorded"], ...SORTS] : SORTS;
  // A movie library offers its collections (NFO <set>s) as a second view of the same library.
  if (known?.kind === "movies" && query.get("view") === "collections") return renderCollections(context, known);
  const sort = query.get("sort") || firstSort;
  const state = {
    sort,
    order: query.get("order") || defaultOrder(sort),
    genre: query.get("genre") || "",
    year: query.get("year") || "",
    offset: Math.max(0, parseInt(query.get("offset") || "0", 10) || 0),
  };
  const heading = h("h1", {}, "Library");
  main.append(heading);
  // The library and the page load side by side. The genre list is slow on a big library and competes with
  // the page for the server, so it is asked for only once the grid is drawn.
  const [library, page] = await Promise.all([
    get(`/api/libraries/${encodeURIComponent(id)}`),
    get(`/api/libraries/${encodeURIComponent(id)}/items${qs({ sort: state.sort, order: state.order, genre: state.genre, year: state.year, offset: state.offset, limit: LIMIT })}`),
  ]);
  if (library.kind === "photos") { main.replaceChildren(); return (await import("/static/view-photos.js")).render(context); }
  heading.textContent = library.name;
  setTitle(library.name);
  if (library.kind === "movies") main.append(viewSwitch(id, "films"));
  const go = (changes) => {
    const next = { ...state, ...changes };
    navigate(`/library/${id}${qs({ sort: next.sort === firstSort ? "" : next.sort, order: next.order === defaultOrder(next.sort) ? "" : next.order, genre: next.genre, year: next.year, offset: next.offset || "" })}`);
  };
  const filters = h("form", { class: "filters", "aria-label": "Sort and filter" },
    field({ name: "sort", label: "Sort by", type: "select", value: state.sort, options: sorts }),
    field({ name: "order", label: "Order", type: "select", value: state.order, options: [["asc", "Ascending"], ["desc", "Descending"]] }),
    field({ name: "genre", label: "Genre", type: "select", value: state.genre, options: [["", "All genres"], ...(state.genre ? [[state.genre, state.genre]] : [])] }),
    field({ name: "year", label: "Year", type: "number", value: state.year, attrs: { min: 1800, max: 2200, inputmode: "numeric", placeholder: "Any" } }),
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Apply")));
  filters.addEventListener("submit", (event) => {
    event.preventDefault();
    const f = filters.elements;
    go({ sort: f.sort.value, order: f.order.value, genre: f.genre.value, year: f.year.value.trim(), offset: 0 });
  });
  // Sorting applies at once; typing a year waits for Apply so the page does not reload on each digit.
  filters.elements.sort.addEventListener("change", () => { filters.elements.order.value = defaultOrder(filters.elements.sort.value); });
  for (const name of ["sort", "order", "genre"]) {
    filters.elements[name].addEventListener("change", () => filters.requestSubmit());
  }
  main.append(filters);
  const genresLoading = () => get(`/api/libraries/${encodeURIComponent(id)}/genres`).catch(() => ({ genres: [] }));
  requestAnimationFrame(() => genresLoading().then((genres) => {
    const select = filters.elements.genre;
    for (const g of genres.genres || []) {
      if (g !== state.genre) select.append(h("option", { value: g }, g));
    }
  }));
  const total = page.total;
  const pages = Math.max(1, Math.ceil(total / LIMIT));
  const current = Math.floor(state.offset / LIMIT) + 1;
  const summary = total === 0 ? "No items match."
    : `${state.offset + 1}–${state.offset + page.items.length} of ${total.toLocaleString()} items`;
  main.append(h("p", { class: "muted", id: "library-count" }, summary));
  if (page.items.length) main.append(posterGrid(page.items, `${library.name}, page ${current}`));
  if (pages > 1) main.append(pager(current, pages, (p) => go({ offset: (p - 1) * LIMIT })));
}

function viewSwitch(id, current) {
  const link = (view, label, href) => h("li", {}, h("a", { href, "aria-current": view === current ? "page" : null }, label));
  return h("nav", { class: "library-views", "aria-label": "Library views" }, h("ul", {},
    link("films", "Films", `#/library/${encodeURIComponent(id)}`),
    link("collections", "Collections", `#/library/${encodeURIComponent(id)}?view=collections`)));
}

async function renderCollections({ main, params }, known) {
  const heading = h("h1", {}, `${known.name}: collections`);
  main.append(heading);
  setTitle(`${known.name}: collections`);
  main.append(viewSwitch(params.id, "collections"), await libraryCollections(params.id));
}

function defaultOrder(sort) { return sort === "title" ? "asc" : "desc"; }

function pager(current, pages, goto) {
  const jump = h("form", { class: "jump" },
    h("label", { for: "page-jump" }, "Page"),
    h("input", { id: "page-jump", name: "page", type: "number", min: 1, max: pages, value: current, inputmode: "numeric" }),
    h("span", {}, ` of ${pages.toLocaleString()}`),
    h("button", { type: "submit" }, "Go"));
  jump.addEventListener("submit", (event) => {
    event.preventDefault();
    const p = Math.min(pages, Math.max(1, parseInt(jump.elements.page.value, 10) || 1));
    goto(p);
  });
  return h("nav", { class: "pager", "aria-label": "Pages" },
    h("button", { type: "button", onclick: () => goto(1), disabled: current <= 1 }, "First"),
    h("button", { type: "button", onclick: () => goto(current - 1), disabled: current <= 1, rel: "prev" }, "Previous"),
    jump,
    h("button", { type: "button", onclick: () => goto(current + 1), disabled: current >= pages, rel: "next" }, "Next"),
    h("button", { type: "button", onclick: () => goto(pages), disabled: current >= pages }, "Last"));
}
