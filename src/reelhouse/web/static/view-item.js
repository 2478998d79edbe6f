// An item page: details and media info, and its children (seasons, episodes, albums, tracks, photos).
import { get, artworkUrl } from "/static/api.js";
import { h, formatDuration } from "/static/dom.js";
import { setTitle } from "/static/app.js";
import { posterGrid, row, PLAYABLE, subtitle } from "/static/cards.js";

const CHILD_LABEL = { show: "Seasons", season: "Episodes", artist: "Albums", album: "Tracks" };

export async function render({ main, params }) {
  const id = params.id;
  const heading = h("h1", {}, "…");
  main.append(heading);
  const item = await get(`/api/items/${encodeURIComponent(id)}`);
  heading.textContent = item.title;
  setTitle(item.title);
  const parent = item.parent_id ? await get(`/api/items/${encodeURIComponent(item.parent_id)}`).catch(() => null) : null;
  const crumbs = h("nav", { "aria-label": "Breadcrumb", class: "crumbs" },
    h("a", { href: `#/library/${item.library_id}` }, "Library"),
    parent ? [" › ", h("a", { href: `#/item/${parent.id}` }, parent.title)] : null);
  main.prepend(crumbs);
  const facts = [
    subtitle(item), item.duration ? formatDuration(item.duration) : "", item.content_rating || "",
    item.rating !== null ? `Rated ${item.rating.toFixed(1)}` : "",
  ].filter(Boolean);
  const head = h("div", { class: "item-head" },
    item.has_artwork ? h("img", { class: "item-poster", src: artworkUrl(item, "poster", 480), alt: `Poster of ${item.title}`, width: 240 }) : null,
    h("div", { class: "item-info" },
      facts.length ? h("p", { class: "meta" }, facts.join(" · ")) : null,
      item.genres.length ? h("p", { class: "genres" }, item.genres.join(", ")) : null,
      item.plot ? h("p", { class: "plot" }, item.plot) : null,
      PLAYABLE.has(item.kind) ? h("p", {}, h("a", { class: "button primary", href: playHref(item, parent) }, item.kind === "track" ? "Play" : "Play")) : null,
      item.missing ? h("p", { class: "form-error" }, "The file for this item is missing from its folder.") : null,
      mediaFacts(item)));
  main.append(head);
  if (CHILD_LABEL[item.kind]) {
    const children = await get(`/api/items/${encodeURIComponent(id)}/children`);
    const label = CHILD_LABEL[item.kind];
    const section = h("section", { "aria-labelledby": "h-children" }, h("h2", { id: "h-children" }, label));
    if (!children.length) section.append(h("p", { class: "muted" }, "Nothing here yet."));
    else if (item.kind === "season" || item.kind === "album") {
      section.append(h("ol", { class: "rows", "aria-label": label }, children.map((child) =>
        row(child, PLAYABLE.has(child.kind) ? h("a", { class: "button small", href: playHref(child, item), "aria-label": `Play ${child.title}` }, "Play") : null))));
      if (item.kind === "album" && children.some((c) => c.kind === "track")) {
        head.querySelector(".item-info").append(h("p", {}, h("a", { class: "button primary", href: `#/play/${children[0].id}?queue=${item.id}` }, "Play album")));
      }
    } else section.append(posterGrid(children, label));
    main.append(section);
  }
}

function playHref(item, parent) {
  // Tracks play with their album as the queue; episodes continue with the season.
  return parent && (item.kind === "track" || item.kind === "episode") ? `#/play/${item.id}?queue=${parent.id}` : `#/play/${item.id}`;
}

function mediaFacts(item) {
  const file = item.files.find((f) => f.media);
  if (!file) return null;
  const video = file.media.streams.find((s) => s.type === "video");
  const audio = file.media.streams.filter((s) => s.type === "audio");
  const rows = [
    ["Container", file.media.container],
    video ? ["Video", `${video.codec}${video.width ? ` ${video.width}×${video.height}` : ""}`] : null,
    audio.length ? ["Audio", audio.map((a) => [a.codec, a.language, a.channels ? `${a.channels} ch` : ""].filter(Boolean).join(" ")).join("; ")] : null,
    item.subtitles.length ? ["Subtitles", item.subtitles.map((s) => s.language || s.title || s.format).join(", ")] : null,
    ["Size", `${(file.size / 1048576).toFixed(1)} MB`],
    file.path ? ["File", file.path] : null,
  ].filter(Boolean);
  return h("details", { class: "media-info" }, h("summary", {}, "Media info"),
    h("dl", {}, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])));
}
