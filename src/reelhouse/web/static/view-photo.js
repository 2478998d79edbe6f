// The photo viewer: one photo full screen, previous and next in timeline order (buttons, arrow keys, swipe),
// Escape back to the timeline where it was, and a slideshow that Space pauses and resumes.
import { get, query as qs, artworkUrl, serverRoutes } from "/static/api.js";
import { h, formatDate } from "/static/dom.js";
import { setTitle, navigate, announce } from "/static/app.js";
import { filtersOf, timelineQuery, rememberPlace } from "/static/view-photos.js";

const SLIDE_SECONDS = 4;
const SWIPE_PIXELS = 40;

// The photo before and after this one in the timeline it was opened from, and its place there; without a
// timeline (a link from elsewhere), its album's or library's photos.
async function neighbours(item, query) {
  const from = query.get("from");
  const at = parseInt(query.get("at") || "", 10);
  if (from === item.library_id && at >= 0) {
    const start = Math.max(0, at - 1);
    const page = await get(`/api/libraries/${encodeURIComponent(from)}/items${timelineQuery(filtersOf(query), start, 3)}`);
    const here = page.items.findIndex((p) => p.id === item.id);
    if (here >= 0) {
      return { prev: page.items[here - 1] || null, next: page.items[here + 1] || null, at: start + here, total: page.total, timeline: true };
    }
  }
  const siblings = item.parent_id
    ? await get(`/api/items/${encodeURIComponent(item.parent_id)}/children`)
    : (await get(`/api/libraries/${encodeURIComponent(item.library_id)}/items${qs({ sort: "taken", order: "desc", limit: 500 })}`)).items;
  const photos = siblings.filter((s) => s.kind === "photo");
  const here = photos.findIndex((p) => p.id === item.id);
  return { prev: here > 0 ? photos[here - 1] : null, next: here >= 0 ? photos[here + 1] || null : null, at: here, total: photos.length, timeline: false };
}

export async function render({ main, params, query }) {
  const item = await get(`/api/items/${encodeURIComponent(params.id)}`);
  setTitle(item.title);
  const [near, routes] = await Promise.all([neighbours(item, query), serverRoutes()]);
  const { prev, next, at, total } = near;
  const full = routes.has("GET /api/items/{item_id}/photo") ? `/api/items/${encodeURIComponent(item.id)}/photo` : artworkUrl(item, "poster", 1080);
  const timelineHref = `/library/${item.library_id}${qs(filtersOf(query))}`;
  let playing = query.get("slideshow") === "1";
  let started = playing;
  const go = (target, step) => {
    if (!target) return;
    const moved = new URLSearchParams(query);
    if (near.timeline) moved.set("at", String(at + step));
    if (playing) moved.set("slideshow", "1"); else moved.delete("slideshow");
    navigate(`/photo/${target.id}?${moved}`, { replace: true });
  };
  const close = () => {
    rememberPlace(item.library_id, near.timeline ? at : -1);
    // Opened from the timeline: going back returns to that very entry of the history; otherwise open the library.
    if (query.get("from") && history.length > 1) history.back();
    else navigate(item.parent_id ? `/item/${item.parent_id}` : timelineHref);
  };
  if (near.timeline) rememberPlace(item.library_id, at);

  const slideButton = h("button", { type: "button", class: "slideshow-toggle", "aria-keyshortcuts": "Space", "aria-pressed": String(playing) });
  const slideState = h("p", { class: "visually-hidden", role: "status" });
  let timer = null;
  const showSlideState = () => {
    slideButton.textContent = playing ? "Pause slideshow" : "Slideshow";
    slideButton.setAttribute("aria-pressed", String(playing));
    slideState.textContent = playing ? "Slideshow playing" : started ? "Slideshow paused" : "";
    clearTimeout(timer);
    // The slideshow stops at the end of the timeline rather than wrapping to its first photo.
    if (playing) timer = setTimeout(() => (next ? go(next, 1) : stop()), SLIDE_SECONDS * 1000);
  };
  const stop = () => { playing = false; showSlideState(); announce("End of the slideshow."); };
  const toggle = () => { playing = !playing; started = true; showSlideState(); };
  slideButton.addEventListener("click", toggle);

  const img = h("img", { src: full, alt: item.title, draggable: "false" });
  const stage = h("div", { class: "photo-stage" }, img);
  // A swipe is a pointer that travels sideways further than it travels up or down: left for next, right for previous.
  let down = null;
  stage.addEventListener("pointerdown", (event) => { down = { x: event.clientX, y: event.clientY }; });
  stage.addEventListener("pointercancel", () => { down = null; });
  stage.addEventListener("pointerup", (event) => {
    if (!down) return;
    const dx = event.clientX - down.x, dy = event.clientY - down.y;
    down = null;
    if (Math.abs(dx) < SWIPE_PIXELS || Math.abs(dx) < Math.abs(dy)) return;
    if (dx < 0) go(next, 1); else go(prev, -1);
  });

  const position = at >= 0 ? `${at + 1} of ${total}` : "";
  main.append(h("div", { class: "photo-viewer", role: "dialog", "aria-modal": "true", "aria-label": item.title },
    h("div", { class: "photo-bar" },
      h("button", { type: "button", class: "photo-close", onclick: close, "aria-keyshortcuts": "Escape" }, "Close"),
      h("h1", {}, item.title),
      slideButton),
    stage,
    h("p", { class: "muted photo-facts" }, [item.taken_at ? `Taken ${formatDate(item.taken_at)}` : "", item.extra?.camera || "", position].filter(Boolean).join(" · ")),
    slideState,
    h("div", { class: "actions" },
      h("button", { type: "button", disabled: !prev, onclick: () => go(prev, -1), "aria-keyshortcuts": "ArrowLeft" }, "Previous"),
      h("button", { type: "button", disabled: !next, onclick: () => go(next, 1), "aria-keyshortcuts": "ArrowRight" }, "Next"))));
  showSlideState();

  const keys = (event) => {
    if (event.target.closest("input,select,textarea")) return;
    // Handled here, so the app's arrow navigation and Back leave these keys alone.
    if (event.key === "ArrowLeft") { event.preventDefault(); go(prev, -1); }
    else if (event.key === "ArrowRight") { event.preventDefault(); go(next, 1); }
    else if (event.key === "Escape") { event.preventDefault(); close(); }
    else if (event.key === " " && !event.target.closest("button")) { event.preventDefault(); toggle(); }
  };
  document.addEventListener("keydown", keys);
  document.body.classList.add("viewing-photo");
  return () => {
    clearTimeout(timer);
    document.removeEventListener("keydown", keys);
    document.body.classList.remove("viewing-photo");
  };
}
