// A person: what the viewer may see them in, across libraries (the server filters by the viewer's scope).
import { get } from "/static/api.js";
import { h } from "/static/dom.js";
import { setTitle } from "/static/app.js";
import { posterGrid } from "/static/cards.js";

export async function render({ main, params }) {
  const heading = h("h1", {}, "…");
  main.append(heading);
  const person = await get(`/api/people/${encodeURIComponent(params.id)}`);
  heading.textContent = person.name;
  setTitle(person.name);
  const appearances = person.appearances || [];
  if (!appearances.length) { main.append(h("p", { class: "muted" }, "Nothing you can see features this person.")); return; }
  main.append(posterGrid(appearances.map((a) => a.item), `${person.name}'s titles`));
}
