// Search as you type in the header: the best matches of each kind in a list under the box, grouped (Movies,
// Shows, Episodes, People, Artists, Albums, Tracks, Photos), reachable with the arrow keys. An ARIA combobox:
// focus stays in the box and aria-activedescendant names the highlighted result, so typing never stops.
import { get, query as qs } from "/static/api.js";
import { h, clear } from "/static/dom.js";
import { displayTitle, itemHref, subtitle } from "/static/cards.js";

const LABELS = {
  movie: "Movies", show: "Shows", episode: "Episodes", person: "People", artist: "Artists",
  album: "Albums", track: "Tracks", photo: "Photos", video: "Videos",
};
const PER_KIND = 5;
const PAUSE_MS = 120; // a pause in typing, so a fast typist sends one request rather than one a key

// The server's groups in the order the app shows them, people after episodes: [{ kind, items }] where a
// person group's items are people ({ id, name, photo_item_id }) and every other group's are listed items.
export async function searchGroups(q, { perKind = PER_KIND, signal } = {}) {
  const found = await get(`/api/search/grouped${qs({ q: q.slice(0, 200), per_kind: perKind })}`, { signal });
  const groups = found.groups.map((g) => ({ kind: g.kind, items: g.items }));
  if (found.people.length) {
    const at = groups.findIndex((g) => !["movie", "show", "episode"].includes(g.kind));
    groups.splice(at < 0 ? groups.length : at, 0, { kind: "person", items: found.people });
  }
  return groups;
}

function itemEntry(item) {
  return { href: itemHref(item), title: displayTitle(item), detail: subtitle(item) };
}

export function personHref(person) {
  return `#/person/${encodeURIComponent(person.id)}`;
}

function personEntry(person) {
  return { href: personHref(person), title: person.name, detail: "" };
}

export function groupLabel(kind) {
  return LABELS[kind] || kind;
}

export function attach({ form, input, go = (path) => { location.hash = path; } }) {
  const list = h("div", { id: "search-suggestions", class: "search-suggestions", role: "listbox", "aria-label": "Search suggestions", hidden: true });
  form.append(list);
  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-expanded", "false");
  input.setAttribute("aria-controls", list.id);
  let options = [];
  let active = -1;
  let pending = null;
  let timer = 0;
  let asked = "";

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    if (!options.length) return;
    active = (index + options.length) % options.length;
    options.forEach((el, i) => el.setAttribute("aria-selected", i === active ? "true" : "false"));
    input.setAttribute("aria-activedescendant", options[active].id);
    options[active].scrollIntoView({ block: "nearest" });
  }

  function show(groups, q) {
    clear(list);
    options = [];
    active = -1;
    input.removeAttribute("aria-activedescendant");
    if (!groups.length) {
      // A listbox holds only options: the answer "nothing" is one that cannot be chosen.
      list.append(h("p", { class: "muted search-none", role: "option", "aria-disabled": "true", "aria-selected": "false" }, `Nothing matches “${q}”.`));
    }
    for (const group of groups) {
      const heading = `search-group-${group.kind}`;
      const rows = group.entries.map((entry) => {
        const option = h("a", { id: `search-option-${options.length}`, role: "option", href: entry.href, "aria-selected": "false", tabindex: "-1" },
          h("span", { class: "title" }, entry.title), entry.detail ? h("span", { class: "muted" }, entry.detail) : null);
        option.addEventListener("mousedown", (event) => event.preventDefault()); // keep focus in the box
        option.addEventListener("click", () => { close(); input.blur(); });
        options.push(option);
        return option;
      });
      list.append(h("div", { role: "group", "aria-labelledby": heading }, h("p", { id: heading, class: "search-group" }, groupLabel(group.kind)), rows));
    }
    list.hidden = false;
    input.setAttribute("aria-expanded", "true");
  }

  async function ask() {
    const q = input.value.trim();
    if (q === asked && !list.hidden) return;
    asked = q;
    if (pending) pending.abort();
    if (!q) { close(); return; }
    pending = new AbortController();
    try {
      const groups = await searchGroups(q, { signal: pending.signal });
      show(groups.map((g) => ({ kind: g.kind, entries: g.items.map(g.kind === "person" ? personEntry : itemEntry) })), q);
    } catch (err) {
      if (err.name !== "AbortError") close();
    }
  }

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(ask, PAUSE_MS);
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (list.hidden) { ask(); return; }
      event.preventDefault();
      highlight(active + (event.key === "ArrowDown" ? 1 : -1));
    } else if (event.key === "Escape") {
      if (!list.hidden) { event.preventDefault(); close(); }
    } else if (event.key === "Enter" && active >= 0 && !list.hidden) {
      event.preventDefault();
      const href = options[active].getAttribute("href");
      close();
      input.blur(); // the page it opens takes the focus, as any page change does
      go(href.slice(1));
    }
  });
  input.addEventListener("blur", () => setTimeout(close, 150));
  form.addEventListener("submit", () => close());
  window.addEventListener("hashchange", close);
}

const form = document.getElementById("search-form");
if (form) attach({ form, input: document.getElementById("search-q") });
