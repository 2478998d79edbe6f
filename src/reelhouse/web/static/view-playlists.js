// The viewer's own playlists: how many items each holds (counting only what they may still see), a new one by
// name, and renaming or deleting any of them.
import { get, api, post } from "/static/api.js";
import { h, clear, field, formatDuration } from "/static/dom.js";
import { setTitle, announce } from "/static/app.js";
import { playlistUrl, itemCount, confirmAction } from "/static/playlists.js";

export async function render({ main }) {
  setTitle("Playlists");
  const list = h("ul", { class: "rows playlists", "aria-label": "Your playlists" });
  const empty = h("p", { class: "muted" }, "No playlists yet. Make one here, or add a track or a video to one from its page.");
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const failed = (err) => { error.textContent = err.message; error.hidden = false; };

  const form = h("form", { class: "new-playlist", "aria-labelledby": "h-new-playlist" },
    h("h2", { id: "h-new-playlist" }, "New playlist"),
    field({ name: "name", label: "Name", attrs: { maxlength: 200, required: true, autocomplete: "off" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create playlist")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = form.elements.name.value.trim();
    if (!name) return;
    try {
      await post("/api/playlists", { name });
      form.reset();
      announce(`Made the playlist ${name}.`);
      await draw();
    } catch (err) { failed(err); }
  });

  async function draw(focusName = null) {
    const mine = await get("/api/playlists");
    clear(list);
    error.hidden = true;
    empty.hidden = mine.length > 0;
    list.append(...mine.map(playlistRow));
    if (focusName) list.querySelector(`[data-name="${CSS.escape(focusName)}"] a`)?.focus();
  }

  function playlistRow(playlist) {
    const link = h("a", { href: `#/playlist/${playlist.id}` }, playlist.name);
    const meta = [itemCount(playlist.entry_count), playlist.duration ? formatDuration(playlist.duration) : ""].filter(Boolean);
    const rename = h("button", { type: "button", class: "button small", "aria-label": `Rename ${playlist.name}` }, "Rename");
    const remove = h("button", { type: "button", class: "button small danger", "aria-label": `Delete ${playlist.name}` }, "Delete");
    const row = h("li", { class: "row-item", dataset: { name: playlist.name } }, link, h("span", { class: "meta" }, meta.join(" · ")), rename, remove);
    rename.addEventListener("click", () => row.replaceWith(renameForm(playlist, row)));
    remove.addEventListener("click", async () => {
      const sure = await confirmAction({ title: `Delete “${playlist.name}”?`,
        text: "The playlist goes; the tracks and videos in it stay in their libraries.", action: "Delete playlist" });
      if (!sure) { remove.focus(); return; }
      try {
        await api("DELETE", playlistUrl(playlist.id));
        announce(`Deleted the playlist ${playlist.name}.`);
        await draw();
        form.elements.name.focus();
      } catch (err) { failed(err); }
    });
    return row;
  }

  // Renaming happens in place: the row becomes a one-field form, and Escape or Cancel puts the row back.
  function renameForm(playlist, row) {
    const input = field({ name: "name", label: `New name for ${playlist.name}`, value: playlist.name, attrs: { maxlength: 200, required: true } });
    const cancel = h("button", { type: "button" }, "Cancel");
    const editor = h("li", { class: "row-item rename" },
      h("form", {}, input, h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save name"), cancel)));
    const back = () => { editor.replaceWith(row); row.querySelector("button")?.focus(); };
    cancel.addEventListener("click", back);
    editor.addEventListener("keydown", (event) => { if (event.key === "Escape") { event.preventDefault(); back(); } });
    editor.querySelector("form").addEventListener("submit", async (event) => {
      event.preventDefault();
      const name = event.target.elements.name.value.trim();
      if (!name) return;
      try {
        await api("PUT", playlistUrl(playlist.id), { name });
        announce(`Renamed ${playlist.name} to ${name}.`);
        await draw(name);
      } catch (err) { failed(err); }
    });
    requestAnimationFrame(() => { const box = editor.querySelector("input"); box.focus(); box.select(); });
    return editor;
  }

  main.append(h("h1", {}, "Playlists"), error, list, empty, form);
  await draw();
}
