// A photos library as a timeline: month headings by date taken (newest first), undated photos last, pages loaded
// as the end of the list comes into view, and filters that fit photos (year, month, camera).
import { get, query as qs } from "/static/api.js";
import { h, field } from "/static/dom.js";
import { setTitle, navigate } from "/static/app.js";
import { posterCard } from "/static/cards.js";

const PAGE = 200;
// Where the viewer last was, so the timeline opens there again when the viewer closes (Escape or Back).
const RETURN_KEY = "reelhouse:photo-return";
const MONTHS = Array.from({ length: 12 }, (_, i) => [String(i + 1), new Date(2000, i, 1).toLocaleDateString(undefined, { month: "long" })]);

// The filters a timeline URL carries; the viewer keeps them so that its previous and next follow the same list.
export function filtersOf(query) {
  return { year: query.get("year") || "", month: query.get("month") || "", camera: query.get("camera") || "" };
}

// The browse query of a timeline: date-taken order, and the year or month as a range in the viewer's own time
// zone, the zone its month headings are drawn in.
export function timelineQuery(filters, offset, limit) {
  const year = parseInt(filters.year, 10);
  const month = parseInt(filters.month, 10);
  let from = "", before = "";
  if (year && month) {
    from = new Date(year, month - 1, 1).toISOString();
    before = new Date(year, month, 1).toISOString();
  } else if (year) {
    from = new Date(year, 0, 1).toISOString();
    before = new Date(year + 1, 0, 1).toISOString();
  }
  return qs({ sort: "taken", order: "desc", camera: filters.camera, taken_from: from, taken_before: before, offset, limit });
}

export function rememberPlace(libraryId, at) {
  sessionStorage.setItem(RETURN_KEY, JSON.stringify({ libraryId, at }));
}

function takePlace(libraryId) {
  const raw = sessionStorage.getItem(RETURN_KEY);
  sessionStorage.removeItem(RETURN_KEY);
  try {
    const place = JSON.parse(raw);
    return place && place.libraryId === libraryId && Number.isInteger(place.at) ? place.at : null;
  } catch { return null; }
}

function monthOf(item) {
  if (!item.taken_at) return { key: "undated", label: "Undated" };
  const date = new Date(item.taken_at);
  return { key: `${date.getFullYear()}-${date.getMonth()}`, label: date.toLocaleDateString(undefined, { month: "long", year: "numeric" }) };
}

export async function render({ main, params, query }) {
  const id = params.id;
  const filters = filtersOf(query);
  const heading = h("h1", {}, "Photos");
  main.append(heading);
  const [library, facets] = await Promise.all([
    get(`/api/libraries/${encodeURIComponent(id)}`),
    get(`/api/libraries/${encodeURIComponent(id)}/photo-facets`).catch(() => ({ years: [], cameras: [] })),
  ]);
  heading.textContent = library.name;
  setTitle(library.name);
  main.append(filterForm(id, filters, facets));
  const count = h("p", { class: "muted", id: "library-count" }, "Loading photos…");
  const timeline = h("div", { class: "timeline" });
  const more = h("button", { type: "button", class: "timeline-more", hidden: true }, "Show more photos");
  main.append(count, timeline, more);

  const photoQuery = qs({ from: id, ...filters });
  let loaded = 0, total = 0, group = null, busy = false, stopped = false;
  const add = (items) => {
    for (const item of items) {
      const month = monthOf(item);
      if (!group || group.key !== month.key) {
        const list = h("ul", { class: "grid photo-grid", "aria-label": month.label });
        timeline.append(h("section", { class: "timeline-month", "aria-label": month.label }, h("h2", {}, month.label), list));
        group = { key: month.key, list };
      }
      const card = posterCard(item);
      const link = card.querySelector("a");
      // The viewer's place in this timeline goes with the link, so its previous and next are the timeline's.
      link.href = `#/photo/${encodeURIComponent(item.id)}${photoQuery}${photoQuery ? "&" : "?"}at=${loaded}`;
      link.dataset.at = String(loaded);
      group.list.append(card);
      loaded += 1;
    }
  };
  const load = async (limit = PAGE) => {
    if (busy || stopped || (loaded && loaded >= total)) return;
    busy = true;
    try {
      const page = await get(`/api/libraries/${encodeURIComponent(id)}/items${timelineQuery(filters, loaded, limit)}`);
      if (stopped) return;
      total = page.total;
      add(page.items);
      if (!page.items.length) total = loaded;
    } finally { busy = false; }
    count.textContent = total === 0 ? "No photos match." : `${total.toLocaleString()} photos`;
    more.hidden = loaded >= total;
  };
  more.addEventListener("click", () => load());

  // Back from the viewer: load as far as the photo it showed last, then bring that photo into view.
  const place = takePlace(id);
  await load(place !== null ? Math.min(500, Math.max(PAGE, place + 1)) : PAGE);
  while (place !== null && loaded <= place && loaded < total && !stopped) await load(500);
  if (place !== null) {
    setTimeout(() => requestAnimationFrame(() => {
      const link = timeline.querySelector(`a[data-at="${place}"]`);
      if (link) { link.scrollIntoView({ block: "center" }); link.focus({ preventScroll: true }); }
    }), 0);
  }
  // The next page is asked for as the end of the list nears, so a library of any size scrolls without paging.
  const watcher = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) load();
  }, { rootMargin: "800px 0px" });
  watcher.observe(more);
  return () => { stopped = true; watcher.disconnect(); };
}

function filterForm(id, filters, facets) {
  const years = [...new Set([...(facets.years || []).map(String), ...(filters.year ? [filters.year] : [])])];
  const cameras = [...new Set([...(facets.cameras || []), ...(filters.camera ? [filters.camera] : [])])];
  const form = h("form", { class: "filters", "aria-label": "Filter photos" },
    field({ name: "year", label: "Year", type: "select", value: filters.year, options: [["", "Any year"], ...years.map((y) => [y, y])] }),
    field({ name: "month", label: "Month", type: "select", value: filters.month, options: [["", "Any month"], ...MONTHS],
      attrs: { disabled: !filters.year } }),
    cameras.length ? field({ name: "camera", label: "Camera", type: "select", value: filters.camera,
      options: [["", "Any camera"], ...cameras.map((c) => [c, c])] }) : null);
  const apply = () => {
    const f = form.elements;
    const year = f.year.value;
    navigate(`/library/${id}${qs({ year, month: year ? f.month.value : "", camera: f.camera ? f.camera.value : "" })}`);
  };
  form.addEventListener("change", apply);
  form.addEventListener("submit", (event) => { event.preventDefault(); apply(); });
  return form;
}
