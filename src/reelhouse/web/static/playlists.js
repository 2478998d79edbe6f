// Playlists as the pages use them: the one "Add to playlist" dialog of item pages and album rows, a yes-or-no
// question before something is deleted, and playlist entries read as listings name them.
import { get, api, post } from "/static/api.js";
import { h, field } from "/static/dom.js";
import { announce } from "/static/app.js";

export const playlistUrl = (id) => `/api/playlists/${encodeURIComponent(id)}`;
// What /api/listed takes in one request, so that its request line stays short.
const LISTED_BATCH = 24;

// "3 items": how a list of playlists says each one's size.
export const itemCount = (n) => `${n} ${n === 1 ? "item" : "items"}`;

// Entries as listings show them (show, album and artist names), in the playlist's order. The playlist answer has
// already left out what the viewer may no longer see; /api/listed checks again, so a change in between is honoured.
export async function listedEntries(ids) {
  const batches = [];
  for (let at = 0; at < ids.length; at += LISTED_BATCH) batches.push(ids.slice(at, at + LISTED_BATCH));
  const answers = await Promise.all(batches.map((b) => get(`/api/listed?ids=${b.map(encodeURIComponent).join(",")}`)));
  const found = new Map(answers.flat().map((i) => [i.id, i]));
  return ids.map((id) => found.get(id) || null);
}

// A modal question answered once: true for the named action, false for Cancel or Escape.
export function confirmAction({ title, text, action }) {
  return new Promise((resolve) => {
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "h-confirm", "aria-describedby": "confirm-text" },
      h("h2", { id: "h-confirm" }, title), h("p", { id: "confirm-text" }, text));
    const cancel = h("button", { type: "button" }, "Cancel");
    const accept = h("button", { type: "button", class: "danger" }, action);
    cancel.addEventListener("click", () => dialog.close("cancel"));
    accept.addEventListener("click", () => dialog.close("accept"));
    dialog.addEventListener("close", () => { dialog.remove(); resolve(dialog.returnValue === "accept"); });
    dialog.append(h("div", { class: "actions" }, cancel, accept));
    document.body.append(dialog);
    dialog.showModal();
    cancel.focus();
  });
}

// The dialog: each of the viewer's playlists as a button, or a name for a new one. Resolves once it closes.
async function chooseAndAdd(item, opener) {
  const name = item.title || "this item";
  const dialog = h("dialog", { class: "confirm add-to-playlist", "aria-labelledby": "h-add-playlist" },
    h("h2", { id: "h-add-playlist" }, `Add “${name}” to a playlist`));
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const done = (message) => { announce(message); dialog.close("done"); };
  const failed = (err) => { error.textContent = err.message; error.hidden = false; };
  dialog.append(error);
  let mine = [];
  try { mine = await get("/api/playlists"); } catch (err) { failed(err); }
  if (mine.length) {
    dialog.append(h("ul", { class: "rows", "aria-label": "Your playlists" }, mine.map((list) => {
      const button = h("button", { type: "button", class: "button small" }, `Add to ${list.name}`);
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          await api("PUT", playlistUrl(list.id), { add: [item.id] });
          done(`Added ${name} to ${list.name}.`);
        } catch (err) { failed(err); button.disabled = false; }
      });
      return h("li", { class: "row-item" }, h("span", {}, list.name), h("span", { class: "meta" }, itemCount(list.entry_count)), button);
    })));
  }
  const form = h("form", { class: "new-playlist" },
    field({ name: "name", label: "New playlist", attrs: { maxlength: 200, required: true, autocomplete: "off" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create and add")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const listName = form.elements.name.value.trim();
    if (!listName) { failed({ message: "Give the new playlist a name." }); return; }
    try {
      await post("/api/playlists", { name: listName, item_ids: [item.id] });
      done(`Made the playlist ${listName} with ${name}.`);
    } catch (err) { failed(err); }
  });
  const cancel = h("button", { type: "button" }, "Cancel");
  cancel.addEventListener("click", () => dialog.close("cancel"));
  dialog.append(form, h("div", { class: "actions" }, cancel));
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => { dialog.remove(); opener?.focus(); resolve(dialog.returnValue === "done"); });
    document.body.append(dialog);
    dialog.showModal();
    (dialog.querySelector(".rows button") || form.elements.name).focus();
  });
}

// The button item pages and album rows show; `label` names the item for rows where many such buttons stand.
export function addToPlaylistButton(item, { small = false, label = null } = {}) {
  const button = h("button", { type: "button", class: small ? "button small" : null, "aria-label": label,
    "aria-haspopup": "dialog" }, "Add to playlist");
  button.addEventListener("click", () => chooseAndAdd(item, button));
  return button;
}
