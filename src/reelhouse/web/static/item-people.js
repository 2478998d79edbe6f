// Cast and crew on an item page, when the server sends them: a photo where there is one, the role, and a link to
// the person's page only when this server has person pages.
import { has } from "/static/api.js";
import { h } from "/static/dom.js";

const CREW_ORDER = ["director", "writer", "producer", "composer"];

function personCard(item, person, linked) {
  const photo = person.has_photo
    ? h("img", { src: `/api/items/${encodeURIComponent(item.id)}/people/${encodeURIComponent(person.id)}/photo`, alt: "", loading: "lazy", width: 96, height: 96 })
    : h("span", { class: "person-initials", "aria-hidden": "true" }, initials(person.name));
  const job = person.kind ? person.kind[0].toUpperCase() + person.kind.slice(1) : "";
  const role = person.kind === "actor" ? person.role : [job, person.role].filter(Boolean).join(" · ");
  const body = [h("span", { class: "person-photo" }, photo), h("span", { class: "title" }, person.name),
    role ? h("span", { class: "meta" }, role) : null];
  return h("li", { class: "person" }, linked ? h("a", { href: `#/person/${encodeURIComponent(person.id)}`, class: "person-link" }, body)
    : h("div", { class: "person-link" }, body));
}

export function initials(name) {
  return String(name || "?").split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join("");
}

export async function peopleSection(item) {
  const cast = Array.isArray(item.cast) ? item.cast : [];
  const crew = Array.isArray(item.crew) ? [...item.crew] : [];
  if (!cast.length && !crew.length) return null;
  crew.sort((a, b) => (CREW_ORDER.indexOf(a.kind) + 99) % 99 - (CREW_ORDER.indexOf(b.kind) + 99) % 99);
  const linked = await has("GET", "/api/people/{person_id}");
  const people = [...[...cast].sort((a, b) => (a.order ?? 0) - (b.order ?? 0)), ...crew];
  return h("section", { "aria-labelledby": "h-people" }, h("h2", { id: "h-people" }, "Cast and crew"),
    h("ul", { class: "people", "aria-label": "Cast and crew" }, people.map((p) => personCard(item, p, linked))));
}
