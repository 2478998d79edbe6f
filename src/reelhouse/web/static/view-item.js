// An item page: where it sits (breadcrumbs), artwork, facts, resume or start over, the viewer's marks, people,
// media info, and its children (seasons, episodes, albums, tracks, photos) with their own watched state and play.
import { get, api, has, artworkUrl } from "/static/api.js";
import { h, formatDuration } from "/static/dom.js";
import { setTitle, announce, session } from "/static/app.js";
import { posterGrid, row, PLAYABLE, progressBar, placeholder, withFamily, episodeCode } from "/static/cards.js";
import { peopleSection } from "/static/item-people.js";
import { playChoices } from "/static/play-choices.js";
import { addToPlaylistButton } from "/static/playlists.js";
import { collectionHref } from "/static/view-collection.js";

const CHILD_LABEL = { show: "Seasons", season: "Episodes", artist: "Albums", album: "Tracks" };
// How deep the family goes: an episode's season and show, a track's album and artist.
const MAX_ANCESTORS = 3;

const itemUrl = (id) => `/api/items/${encodeURIComponent(id)}`;

async function ancestors(item) {
  const found = [];
  let parentId = item.parent_id;
  while (parentId && found.length < MAX_ANCESTORS) {
    const parent = await get(itemUrl(parentId)).catch(() => null);
    if (!parent) break;
    found.unshift(parent);
    parentId = parent.parent_id;
  }
  return found;
}

// The crumb for an item in a trail: a season or an episode by its number, as people say it.
function crumbName(item) {
  if (item.kind === "season" && item.index !== null) return `Season ${item.index}`;
  if (item.kind === "episode" && item.index !== null) return `Episode ${item.index}`;
  return item.title;
}

function breadcrumbs(item, family) {
  const library = session.libraries.find((lib) => lib.id === item.library_id);
  const trail = [
    h("li", {}, h("a", { href: `#/library/${item.library_id}` }, library ? library.name : "Library")),
    family.map((a) => h("li", {}, h("a", { href: `#/item/${a.id}` }, crumbName(a)))),
    h("li", {}, h("span", { "aria-current": "page" }, crumbName(item))),
  ];
  return h("nav", { "aria-label": "Breadcrumb", class: "crumbs" }, h("ol", {}, trail));
}

// "1 h 52 min": a film's length as a listing says it; short things keep minutes and seconds.
function runtime(seconds) {
  if (!seconds) return "";
  if (seconds < 600) return formatDuration(seconds);
  const minutes = Math.round(seconds / 60);
  return minutes >= 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes} min`;
}

function playHref(item, parent, fromStart = false) {
  // Tracks play with their album as the queue; episodes continue with the season.
  const params = new URLSearchParams();
  if (parent && (item.kind === "track" || item.kind === "episode")) params.set("queue", parent.id);
  if (fromStart) params.set("from", "start");
  const qs = params.toString();
  return `#/play/${item.id}${qs ? `?${qs}` : ""}`;
}

// The player resumes by itself past five seconds; the page offers the same choice before anyone presses Play.
const RESUMES_AFTER = 5;

function playActions(item, parent, state) {
  if (!PLAYABLE.has(item.kind) || item.missing) return null;
  const partly = state && !state.watched && state.position > RESUMES_AFTER;
  return h("div", { class: "actions play-actions" },
    partly ? h("a", { class: "button primary", href: playHref(item, parent) }, `Resume from ${formatDuration(state.position)}`) : null,
    h("a", { class: `button${partly ? "" : " primary"}`, href: playHref(item, parent, partly) }, partly ? "Play from the start" : "Play"));
}

// A trailer kept beside the movie plays like any item, through the same player and access decision.
function trailerAction(item) {
  const trailer = (item.extras || []).find((e) => e.extra_type === "trailer");
  if (!trailer) return null;
  return h("p", { class: "actions trailer-action" },
    h("a", { class: "button", href: `#/play/${encodeURIComponent(trailer.id)}`, "aria-label": `Play trailer of ${item.title}` }, "Play trailer"));
}

// What the tags say an album is: "Compilation" before its MusicBrainz release type, "Album" when they say nothing.
const RELEASE_TYPES = { album: "Album", ep: "EP", single: "Single", broadcast: "Broadcast", other: "Release" };
function releaseLabel(item) {
  const extra = item.extra || {};
  if (extra.compilation === true) return "Compilation";
  return RELEASE_TYPES[extra.release_type] || "Album";
}

// A toggle whose pressed state is the server's answer, not the click: a refused change leaves it as it was.
function markButton({ label, pressed, route, field, onChange }) {
  const button = h("button", { type: "button", class: "toggle", "aria-pressed": String(Boolean(pressed)) }, label(pressed));
  button.addEventListener("click", async () => {
    const next = button.getAttribute("aria-pressed") !== "true";
    button.disabled = true;
    try {
      const saved = await api("PUT", route, { [field]: next });
      button.setAttribute("aria-pressed", String(saved[field]));
      button.textContent = label(saved[field]);
      onChange?.(saved);
    } catch (err) {
      announce(err.message);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

export async function render({ main, params }) {
  const id = params.id;
  const heading = h("h1", {}, "…");
  main.append(heading);
  const item = await get(itemUrl(id));
  heading.textContent = item.title;
  setTitle(item.title);
  const playable = PLAYABLE.has(item.kind);
  const [family, state, children] = await Promise.all([
    ancestors(item),
    get(`${itemUrl(id)}/playstate`).catch(() => null),
    CHILD_LABEL[item.kind] ? get(`${itemUrl(id)}/children`).then((c) => withFamily(c, { all: true })) : null,
  ]);
  const parent = family[family.length - 1] || null;
  main.prepend(breadcrumbs(item, family));
  // An episode says its show and number above its own title: "Harbour Watch · S02E05".
  if (family.length && item.kind === "episode") {
    heading.before(h("p", { class: "show-name" }, h("a", { href: `#/item/${family[0].id}` }, family[0].title), ` · ${episodeCode(item)}`));
  }

  const tagline = item.tagline || (item.extra && typeof item.extra.tagline === "string" ? item.extra.tagline : "");
  const facts = [
    item.kind === "album" ? releaseLabel(item) : "",
    item.year ? String(item.year) : "", runtime(item.duration), item.content_rating || "",
    item.rating !== null ? `Rated ${item.rating.toFixed(1)}` : "",
  ].filter(Boolean);
  // Studios and tagline come from the NFO, kept in the item's extra facts.
  const listed = Array.isArray(item.studios) ? item.studios : Array.isArray(item.extra?.studios) ? item.extra.studios : [];
  const studios = listed.map((s) => (typeof s === "string" ? s : s.name)).filter(Boolean);
  const progressInfo = state && playable ? { ...state, duration: state.duration || item.duration } : null;
  const progress = progressInfo && progressInfo.position > RESUMES_AFTER ? progressBar(progressInfo) : null;
  const hasPoster = item.has_artwork;
  const poster = h("div", { class: "item-poster-wrap" + (["album", "artist", "track", "photo"].includes(item.kind) ? " square" : "") },
    hasPoster ? h("img", { class: "item-poster", src: artworkUrl(item, "poster", 480), alt: `Poster of ${item.title}`, width: 240, height: 360 })
      : h("span", { class: "poster item-poster" }, placeholder({ ...item, top_title: family[0] ? family[0].title : null })));
  const marks = h("div", { class: "actions marks" });
  const choices = playable && !item.missing ? await playChoices(item, () => main.querySelectorAll(".play-actions a")) : null;
  if (playable) {
    marks.append(markButton({
      label: (on) => (on ? "Watched" : "Mark watched"), pressed: state && state.watched,
      route: `${itemUrl(id)}/watched`, field: "watched",
      onChange: (saved) => {
        announce(saved.watched ? `${item.title} is marked watched.` : `${item.title} is marked unwatched.`);
        // Watched resumes from the start: the page's resume choice follows the server.
        const actions = main.querySelector(".play-actions");
        if (actions) actions.replaceWith(playActions(item, parent, saved) || "");
        choices?.update();
        main.querySelector(".item-info .watch-progress")?.remove();
      },
    }));
  }
  if (playable && item.kind !== "extra") marks.append(addToPlaylistButton(item));
  if (await has("PUT", "/api/items/{item_id}/favourite")) {
    marks.append(markButton({
      label: (on) => (on ? "★ Favourite" : "☆ Add to favourites"), pressed: state && state.favourite,
      route: `${itemUrl(id)}/favourite`, field: "favourite",
    }));
  }
  const head = h("div", { class: "item-head" }, poster,
    h("div", { class: "item-info" },
      tagline ? h("p", { class: "tagline" }, tagline) : null,
      facts.length ? h("p", { class: "meta facts" }, facts.join(" · ")) : null,
      item.genres.length ? h("ul", { class: "genres", "aria-label": "Genres" }, item.genres.map((g) => h("li", {}, g))) : null,
      studios.length ? h("p", { class: "meta studios" }, studios.join(", ")) : null,
      item.collection ? h("p", { class: "meta item-collection" }, "Part of ",
        h("a", { href: collectionHref(item.collection.id) }, item.collection.name)) : null,
      progress ? h("div", { class: "item-progress" }, progress,
        h("span", { class: "meta" }, `${formatDuration(progressInfo.position)} of ${formatDuration(progressInfo.duration)}`)) : null,
      choices ? choices.field : null,
      playActions(item, parent, state),
      trailerAction(item),
      marks.childElementCount ? marks : null,
      item.plot ? h("p", { class: "plot" }, item.plot) : null,
      item.missing ? h("p", { class: "form-error" }, "The file for this item is missing from its folder.") : null,
      mediaFacts(item)));
  const hero = h("div", { class: "hero" });
  if ((item.artwork || []).includes("fanart")) hero.append(h("img", { class: "backdrop", src: artworkUrl(item, "fanart", 1280), alt: "" }));
  hero.append(head);
  main.append(hero);
  if (choices) {
    choices.update();
    head.addEventListener("click", (event) => { if (event.target.closest(".play-actions a")) choices.remember(); });
  }
  const people = await peopleSection(item);
  if (people) main.append(people);
  if (children) main.append(childrenSection(item, children));
  if (item.kind === "show" && children && children.length) {
    const next = await showNext(children);
    if (next) {
      head.querySelector(".item-info").prepend(h("p", { class: "actions" },
        h("a", { class: "button primary", href: `#/play/${next.id}?queue=${next.parent_id}` }, `Play ${episodeCode(next)} · ${next.title}`)));
    }
  }
}

// A show's next episode: the one after the last watched (as Home's Next up says), or the first unwatched one of
// the first season for a show not started yet.
async function showNext(seasons) {
  const seasonIds = new Set(seasons.map((s) => s.id));
  const upNext = await get("/api/next-up?limit=100").catch(() => []);
  const found = upNext.find((e) => seasonIds.has(e.parent_id));
  if (found) return found;
  for (const season of seasons) {
    const episodes = await withFamily(await get(`${itemUrl(season.id)}/children`).catch(() => []), { all: true });
    if (episodes.some((e) => e.watched)) return null;
    if (episodes.length) return episodes.find((e) => e.kind === "episode" && !e.missing) || null;
  }
  return null;
}

function childrenSection(item, children) {
  const label = CHILD_LABEL[item.kind];
  const section = h("section", { "aria-labelledby": "h-children" }, h("h2", { id: "h-children" }, label));
  if (!children.length) section.append(h("p", { class: "muted" }, "Nothing here yet."));
  else if (item.kind === "season" || item.kind === "album") {
    section.append(h("ol", { class: "rows", "aria-label": label }, children.map((child) =>
      row(child, PLAYABLE.has(child.kind) ? [
        h("a", { class: "button small", href: playHref(child, item), "aria-label": `Play ${child.title}` }, "Play"),
        child.kind === "track" ? addToPlaylistButton(child, { small: true, label: `Add to playlist: ${child.title}` }) : null,
      ] : null))));
    if (item.kind === "album" && children.some((c) => c.kind === "track")) {
      document.querySelector(".item-info")?.append(h("p", {}, h("a", { class: "button primary", href: `#/play/${children[0].id}?queue=${item.id}` }, "Play album")));
    }
  } else section.append(posterGrid(children, label));
  return section;
}

// The NFO's ids, by the names people know them under. Plain text on purpose: a link or a lookup would have the
// browser tell a third party what is being watched here.
const ID_NAMES = { imdb: "IMDb", tmdb: "TMDB", tvdb: "TVDB" };
function idRows(item) {
  const ids = item.extra && typeof item.extra.uniqueids === "object" && item.extra.uniqueids ? item.extra.uniqueids : {};
  const known = Object.keys(ID_NAMES).filter((k) => typeof ids[k] === "string" && ids[k]);
  const others = Object.keys(ids).filter((k) => !ID_NAMES[k] && typeof ids[k] === "string" && ids[k]).sort();
  return [...known.map((k) => [ID_NAMES[k], ids[k]]), ...others.map((k) => [`ID (${k})`, ids[k]])];
}

function mediaFacts(item) {
  const file = item.files.find((f) => f.media);
  const ids = idRows(item);
  if (!file && !ids.length) return null;
  const video = file?.media.streams.find((s) => s.type === "video");
  const audio = file ? file.media.streams.filter((s) => s.type === "audio") : [];
  const rows = [
    file ? ["Container", file.media.container] : null,
    video ? ["Video", `${video.codec}${video.width ? ` ${video.width}×${video.height}` : ""}`] : null,
    audio.length ? ["Audio", audio.map((a) => [a.codec, a.language, a.channels ? `${a.channels} ch` : ""].filter(Boolean).join(" ")).join("; ")] : null,
    item.subtitles.length ? ["Subtitles", item.subtitles.map((s) => s.language || s.title || s.format).join(", ")] : null,
    file ? ["Size", `${(file.size / 1048576).toFixed(1)} MB`] : null,
    file?.path ? ["File", file.path] : null,
    ...ids,
  ].filter(Boolean);
  return h("details", { class: "media-info" }, h("summary", {}, "Media info"),
    h("dl", {}, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])));
}
