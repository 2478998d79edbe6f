// The players: video (direct play or HLS, as the server decides) and music (a queue that plays on).
import { get, api, ApiError } from "/static/api.js";
import { h, formatDuration } from "/static/dom.js";
import { setTitle, navigate, announce } from "/static/app.js";
import { clientProfile, playRoutes, fill, nativeHls, loadHlsJs, HLS_TYPE } from "/static/playback.js";

const REPORT_EVERY = 10_000;

export async function render({ main, params, query }) {
  const item = await get(`/api/items/${encodeURIComponent(params.id)}`);
  setTitle(item.title);
  const routes = await playRoutes();
  main.append(h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: `#/item/${item.id}` }, `‹ ${item.title}`)),
    h("h1", {}, item.title));
  if (!routes.playback) {
    main.append(h("p", { class: "form-error" }, "This server cannot stream yet: its playback service is not available."));
    return;
  }
  const audioOnly = item.kind === "track";
  const media = audioOnly ? h("audio", { controls: true, preload: "auto" }) : h("video", { controls: true, preload: "auto", playsinline: true });
  const message = h("p", { class: "form-error", role: "alert", hidden: true });
  const info = h("p", { class: "muted", id: "playback-method" });
  const player = h("div", { class: "player" }, media, message, info);
  main.append(player);

  const state = { item, hls: null, timer: null, lastReport: 0, closed: false, sessionId: null };
  const queue = audioOnly ? await buildQueue(item, query.get("queue")) : null;
  // Another audio track is another stream: carry on from where the viewer was, not from the start.
  const audioSelect = audioOnly ? null : audioTracks(item, (index) => start(index, media.currentTime));
  if (audioSelect) player.append(audioSelect);
  const subtitleSelect = audioOnly ? null : subtitleChooser(media);
  if (subtitleSelect) player.append(subtitleSelect.field);
  if (queue) player.append(queueList(queue, item));

  const fail = (text) => { message.textContent = text; message.hidden = false; };

  async function start(audioIndex = null, at = null) {
    message.hidden = true;
    // The stream being replaced may hold an encoder; free it before asking for another.
    if (routes.stop && state.sessionId) api("DELETE", fill(routes.stop, { session_id: state.sessionId })).catch(() => {});
    state.sessionId = null;
    let decision;
    try {
      decision = await api("POST", fill(routes.playback, { item_id: item.id }), {
        profile: clientProfile(media), device_id: deviceId(), ...(audioIndex !== null ? { audio_index: audioIndex } : {}),
      });
    } catch (err) {
      fail(err instanceof ApiError ? err.message : "Playback could not start.");
      return;
    }
    state.sessionId = decision.session_id;
    const words = { direct: "Direct play: the file is sent as it is.", remux: "Direct stream: repackaged for this browser without re-encoding.", transcode: "Converting for this browser." };
    info.textContent = words[decision.method] || decision.method;
    player.dataset.method = decision.method;
    for (const old of media.querySelectorAll("track")) old.remove();
    for (const sub of decision.subtitles || []) {
      media.append(h("track", { kind: "subtitles", src: sub.url, srclang: sub.language || "und", label: sub.title || sub.language || "Subtitles", default: sub.forced }));
    }
    if (subtitleSelect) subtitleSelect.refresh(decision.subtitles || []);
    // Listen before attaching: a cached stream may have its metadata before the next line runs.
    media.addEventListener("loadedmetadata", () => {
      if (at !== null) { media.currentTime = at; return; }
      if (decision.resume_position > 5 && (!media.duration || decision.resume_position < media.duration - 10)) {
        media.currentTime = decision.resume_position;
        announce(`Resuming at ${formatDuration(decision.resume_position)}.`);
      }
    }, { once: true });
    await attach(decision);
    try { await media.play(); } catch { /* autoplay may be refused; the controls are there */ }
  }

  async function attach(decision) {
    if (state.hls) { state.hls.destroy(); state.hls = null; }
    const isHls = decision.content_type === HLS_TYPE || /\.m3u8(\?|$)/.test(decision.url);
    if (!isHls || nativeHls(media)) { media.src = decision.url; return; }
    const Hls = await loadHlsJs();
    if (!Hls || !Hls.isSupported()) {
      fail("This browser cannot play this stream: it needs HLS, and this server does not offer hls.js. Try Safari, or ask the server's owner to run the setup command with Node installed.");
      return;
    }
    state.hls = new Hls();
    state.hls.loadSource(decision.url);
    state.hls.attachMedia(media);
  }

  const report = async (force = false) => {
    if (!routes.progress || !isFinite(media.currentTime)) return;
    const now = Date.now();
    if (!force && now - state.lastReport < REPORT_EVERY) return;
    state.lastReport = now;
    const duration = isFinite(media.duration) && media.duration > 0 ? media.duration : undefined;
    try {
      await api(routes.progress[0], fill(routes.progress, { item_id: state.item.id }), { position: media.currentTime, ...(duration ? { duration } : {}) });
    } catch { /* a missed progress report only costs resume accuracy */ }
  };
  media.addEventListener("timeupdate", () => report());
  media.addEventListener("pause", () => report(true));
  media.addEventListener("error", () => {
    if (media.error) fail("The media could not be played. The file may be damaged, or this browser may not support it.");
  });
  media.addEventListener("ended", async () => {
    await report(true);
    if (queue) {
      const at = queue.findIndex((t) => t.id === state.item.id);
      if (at >= 0 && at + 1 < queue.length) navigate(`/play/${queue[at + 1].id}?queue=${query.get("queue")}`, { replace: true });
      return;
    }
    if (item.kind === "episode" && routes.next) {
      try {
        const next = await get(fill(routes.next, { item_id: item.id }));
        if (next && next.item_id) navigate(`/play/${next.item_id}`, { replace: true });
      } catch { /* no next episode */ }
    }
  });
  // A reload or a closed tab never runs the cleanup below: end the session as the page goes away. A keepalive
  // fetch outlives the page (a beacon that can say DELETE), so the encoder's slot is free for the next load.
  const release = () => {
    if (routes.stop && state.sessionId) {
      fetch(fill(routes.stop, { session_id: state.sessionId }), { method: "DELETE", keepalive: true, credentials: "same-origin" }).catch(() => {});
      state.sessionId = null;
    }
  };
  window.addEventListener("pagehide", release);
  // "Play from the start" on the item page asks for 0 instead of the saved position.
  await start(null, query.get("from") === "start" ? 0 : null);
  return () => {
    window.removeEventListener("pagehide", release);
    state.closed = true;
    report(true);
    if (state.hls) state.hls.destroy();
    // A transcode keeps a CPU busy; tell the server as soon as nobody watches it.
    if (routes.stop && state.sessionId) api("DELETE", fill(routes.stop, { session_id: state.sessionId })).catch(() => {});
    media.pause();
    media.removeAttribute("src");
    media.load();
  };
}

async function buildQueue(item, queueId) {
  const parent = queueId || item.parent_id;
  if (!parent) return [item];
  try {
    const tracks = (await get(`/api/items/${encodeURIComponent(parent)}/children`)).filter((t) => t.kind === "track");
    return tracks.length ? tracks : [item];
  } catch { return [item]; }
}

function queueList(queue, current) {
  return h("section", { "aria-labelledby": "h-queue" }, h("h2", { id: "h-queue" }, "Queue"),
    h("ol", { class: "queue" }, queue.map((t) => h("li", { "aria-current": t.id === current.id ? "true" : null },
      h("a", { href: `#/play/${t.id}?queue=${t.parent_id || ""}` }, t.title)))));
}

// Text subtitles are <track> elements; this chooser shows one or none, and survives a stream change.
function subtitleChooser(media) {
  const select = h("select", { id: "subtitle-track" });
  const field = h("div", { class: "field", hidden: true }, h("label", { for: "subtitle-track" }, "Subtitles"), select);
  const apply = () => {
    const chosen = media.querySelectorAll("track")[Number(select.value)];
    // Every other text track goes quiet, including any an HLS library added for the stream's renditions.
    for (const track of media.textTracks) track.mode = select.value !== "" && chosen && track === chosen.track ? "showing" : "disabled";
  };
  select.addEventListener("change", apply);
  const refresh = (subs) => {
    const kept = select.value;
    const forced = subs.findIndex((s) => s.forced);
    select.replaceChildren(h("option", { value: "" }, "Off"),
      ...subs.map((s, at) => h("option", { value: at }, [s.title, s.language].filter(Boolean).join(" · ") || `Subtitles ${at + 1}`)));
    select.value = kept && Number(kept) < subs.length ? kept : forced >= 0 ? String(forced) : "";
    field.hidden = subs.length === 0;
    apply();
  };
  return { field, refresh };
}

function audioTracks(item, choose) {
  const file = item.files.find((f) => f.media);
  const audio = file ? file.media.streams.filter((s) => s.type === "audio") : [];
  if (audio.length < 2) return null;
  const select = h("select", { id: "audio-track" }, audio.map((s) => h("option", { value: s.index }, [s.title, s.language, s.codec, s.channels ? `${s.channels} ch` : ""].filter(Boolean).join(" · "))));
  select.addEventListener("change", () => choose(Number(select.value)));
  return h("div", { class: "field" }, h("label", { for: "audio-track" }, "Audio track"), select);
}

// This browser's player id: a new playback of the same item here replaces the old session on the server.
function deviceId() {
  const key = "reelhouse.device";
  let id = null;
  try { id = window.localStorage.getItem(key); } catch { /* storage disabled: a fresh id per page */ }
  if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    try { window.localStorage.setItem(key, id); } catch { /* ignore */ }
  }
  return id;
}
