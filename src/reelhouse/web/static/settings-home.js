// Settings › General › Home: the order of Home's per-library shelves and which of them Home leaves out.
// The list is part of the General form, so the page's one "Save Changes" saves it with the other fields.
import { get } from "/static/api.js";
import { h } from "/static/dom.js";
import { announce } from "/static/app.js";

// Returns the fieldset to put in the form and a reader giving the two settings as the list now stands.
export async function homeShelves() {
  const rows = await get("/api/home/shelves");
  const list = h("ol", { class: "home-shelves", "aria-label": "Home shelves", "aria-describedby": "home-shelves-help" });
  const fieldset = h("fieldset", { class: "home-shelf-settings", dataset: { field: "home_shelf_order" } },
    h("legend", {}, "Home"),
    h("p", { class: "muted", id: "home-shelves-help" },
      "The order of the “Recently added” shelves on everyone's Home page. Continue watching, Next up and Favourites always come first."),
    rows.length ? list : h("p", { class: "muted" }, "No libraries yet."),
    h("p", { class: "error", hidden: true }));

  const draw = (focusName = null, focusWhich = null) => {
    list.replaceChildren(...rows.map((row, i) => {
      const id = `home-shelf-${row.library_id}`;
      const show = h("input", { type: "checkbox", id, name: `home-show-${row.library_id}` });
      show.checked = !row.hidden;
      show.addEventListener("change", () => { row.hidden = !show.checked; });
      const move = (by, label) => h("button", {
        type: "button", disabled: !rows[i + by], "aria-label": `${label}: ${row.name}`, dataset: { move: label },
        onclick: () => {
          [rows[i], rows[i + by]] = [rows[i + by], rows[i]];
          // Focus follows the library that moved, so pressing again keeps moving it.
          draw(row.library_id, rows[i + 2 * by] ? label : (by < 0 ? "Move down" : "Move up"));
          announce(`${row.name} is now shelf ${i + by + 1} of ${rows.length}.`);
        },
      }, label);
      const li = h("li", { dataset: { library: row.library_id } },
        h("span", { class: "home-shelf-name" }, row.name),
        h("span", { class: "home-shelf-show" }, show, h("label", { for: id }, "Show on Home")),
        h("span", { class: "actions" }, move(-1, "Move up"), move(1, "Move down")));
      return li;
    }));
    if (focusName) list.querySelector(`li[data-library="${CSS.escape(focusName)}"] button[data-move="${focusWhich}"]`)?.focus();
  };
  draw();

  const current = () => ({
    home_shelf_order: rows.map((r) => r.library_id),
    home_shelves_hidden: rows.filter((r) => r.hidden).map((r) => r.library_id),
  });
  // Only what the owner changed here is sent: an untouched list must not turn into a saved order, or
  // "Nothing changed" would become a save and the audit log would record a change nobody made.
  let baseline = current();
  const read = () => Object.fromEntries(Object.entries(current())
    .filter(([name, value]) => JSON.stringify(value) !== JSON.stringify(baseline[name])));
  const saved = () => { baseline = current(); };
  return { fieldset, read, saved };
}
