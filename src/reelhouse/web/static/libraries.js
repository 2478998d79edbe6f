// Adding a library and following its scan: shared by first-run setup and the Libraries settings page.
import { get, patch, post } from "/static/api.js";
import { h, field, formError, showErrors, clearErrors, formValues } from "/static/dom.js";

export const KINDS = [
  ["movies", "Movies"], ["shows", "TV shows"], ["music", "Music"], ["photos", "Photos"], ["home_videos", "Home videos"],
];

export function addLibraryForm(onAdded) {
  const form = h("form", { class: "card", "aria-labelledby": "add-library-title", novalidate: true },
    h("h2", { id: "add-library-title" }, "Add a library"),
    formError(),
    field({ name: "name", label: "Name", attrs: { required: true, maxlength: 100 } }),
    field({ name: "kind", label: "Type", type: "select", value: "movies", options: KINDS }),
    field({ name: "paths", label: "Folder on this server", help: "The full path, for example /srv/media/movies. One folder per line for several.", type: "textarea", attrs: { required: true } }),
    field({ name: "seek_previews", label: "Seek preview thumbnails", type: "select", value: "auto", help: "Pictures of a video shown above the seek bar, made in the background after each scan.",
      options: [["auto", "Usual for the type (on for movies, shows and home videos)"], ["on", "On"], ["off", "Off"]] }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Add library")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    const paths = values.paths.split("\n").map((p) => p.trim()).filter(Boolean);
    const problems = {};
    if (!values.name.trim()) problems.name = "is required";
    if (!paths.length) problems.paths = "needs at least one folder";
    if (Object.keys(problems).length) {
      showErrors(form, { message: "Some of what you entered is not valid.", fields: problems });
      return;
    }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const body = { name: values.name.trim(), kind: values.kind, paths };
      if (values.seek_previews !== "auto") body.seek_previews = values.seek_previews === "on";
      const library = await post("/api/libraries", body);
      form.reset();
      onAdded(library);
    } catch (err) {
      showErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

let toggleSeq = 0;

// The owner's choice to make seek preview thumbnails for a library's videos, saved as soon as it changes.
export function seekPreviewsToggle(library) {
  const id = `seek-previews-${++toggleSeq}`;
  const box = h("input", { type: "checkbox", id, name: "seek_previews", checked: library.seek_previews, "aria-describedby": `${id}-help` });
  const status = h("span", { id: `${id}-help`, class: "muted", "aria-live": "polite" },
    "Pictures above the seek bar, made in the background after each scan.");
  box.addEventListener("change", async () => {
    box.disabled = true;
    try {
      const saved = await patch(`/api/libraries/${encodeURIComponent(library.id)}`, { seek_previews: box.checked });
      box.checked = saved.seek_previews;
      status.textContent = saved.seek_previews ? "Seek previews are on; they are being made in the background." : "Seek previews are off.";
    } catch (err) {
      box.checked = !box.checked;
      status.textContent = err.message;
    } finally {
      box.disabled = false;
    }
  });
  return h("p", { class: "seek-previews-option" }, box, " ", h("label", { for: id }, "Seek preview thumbnails"), " ", status);
}

const PHASES = { idle: "Waiting", walk: "Looking for files", identify: "Reading files", reconcile: "Updating the catalogue", artwork: "Making artwork", done: "Finished" };

// A live progress bar for one library's scan; polls until the scan finishes. Returns [element, stop].
export function scanProgress(library, { onDone = null } = {}) {
  const bar = h("progress", { max: 1, value: 0, "aria-label": `Scan of ${library.name}` });
  const text = h("span", { class: "scan-text" }, "Checking…");
  const el = h("div", { class: "scan", "aria-live": "polite", dataset: { library: library.id } }, bar, " ", text);
  let stopped = false;
  let timer = null;
  let sawRunning = false;
  const tick = async () => {
    if (stopped) return;
    let state;
    try {
      state = await get(`/api/libraries/${encodeURIComponent(library.id)}/scan`);
    } catch (err) {
      text.textContent = err.message;
      timer = setTimeout(tick, 2000);
      return;
    }
    if (state.running) {
      sawRunning = true;
      const phase = PHASES[state.phase] || state.phase;
      if (state.total > 0) {
        bar.max = state.total;
        bar.value = state.done;
        text.textContent = `${phase}: ${state.done} of ${state.total}`;
      } else {
        bar.removeAttribute("value");
        text.textContent = `${phase}…`;
      }
      el.dataset.state = "running";
      timer = setTimeout(tick, 400);
    } else {
      bar.max = 1;
      bar.value = 1;
      const parts = [];
      if (state.added !== null && state.added !== undefined) parts.push(`${state.added} added`);
      if (state.updated) parts.push(`${state.updated} updated`);
      if (state.missing) parts.push(`${state.missing} missing`);
      if (state.errors && state.errors.length) parts.push(`${state.errors.length} could not be read`);
      text.textContent = state.started_at ? `Scan finished${parts.length ? `: ${parts.join(", ")}` : ""}.` : "Not scanned yet.";
      el.dataset.state = state.started_at ? "done" : "idle";
      if (state.started_at || sawRunning) { if (onDone) onDone(state); } else timer = setTimeout(tick, 700);
    }
  };
  tick();
  return [el, () => { stopped = true; clearTimeout(timer); }];
}

export async function startScan(library, full = false) {
  return post(`/api/libraries/${encodeURIComponent(library.id)}/scan`, { full });
}
