// The photo viewer: one photo large, with previous and next (buttons and arrow keys).
import { get, query as qs, artworkUrl, serverRoutes } from "/static/api.js";
import { h, formatDate } from "/static/dom.js";
import { setTitle, navigate } from "/static/app.js";

export async function render({ main, params }) {
  const item = await get(`/api/items/${encodeURIComponent(params.id)}`);
  setTitle(item.title);
  const siblings = item.parent_id
    ? await get(`/api/items/${encodeURIComponent(item.parent_id)}/children`)
    : (await get(`/api/libraries/${encodeURIComponent(item.library_id)}/items${qs({ sort: "title", limit: 500 })}`)).items;
  const photos = siblings.filter((s) => s.kind === "photo");
  const at = photos.findIndex((p) => p.id === item.id);
  const prev = at > 0 ? photos[at - 1] : null;
  const next = at >= 0 && at + 1 < photos.length ? photos[at + 1] : null;
  const routes = await serverRoutes();
  const full = routes.has("GET /api/items/{item_id}/photo") ? `/api/items/${encodeURIComponent(item.id)}/photo` : artworkUrl(item, "poster", 1080);
  const go = (target) => target && navigate(`/photo/${target.id}`, { replace: true });
  main.append(h("nav", { class: "crumbs", "aria-label": "Breadcrumb" },
    h("a", { href: item.parent_id ? `#/item/${item.parent_id}` : `#/library/${item.library_id}` }, "‹ Back")),
  h("h1", {}, item.title),
  h("div", { class: "photo-viewer" },
    h("img", { src: full, alt: item.title }),
    h("p", { class: "muted" }, [item.taken_at ? `Taken ${formatDate(item.taken_at)}` : "", at >= 0 ? `${at + 1} of ${photos.length}` : ""].filter(Boolean).join(" · ")),
    h("div", { class: "actions" },
      h("button", { type: "button", disabled: !prev, onclick: () => go(prev), "aria-keyshortcuts": "ArrowLeft" }, "Previous"),
      h("button", { type: "button", disabled: !next, onclick: () => go(next), "aria-keyshortcuts": "ArrowRight" }, "Next"))));
  const keys = (event) => {
    if (event.target.closest("input,select,textarea")) return;
    if (event.key === "ArrowLeft") go(prev);
    if (event.key === "ArrowRight") go(next);
  };
  document.addEventListener("keydown", keys);
  return () => document.removeEventListener("keydown", keys);
}
