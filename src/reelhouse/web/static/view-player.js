// The players: video (direct play or HLS, as the server decides) and music, which the mini-player plays so it
// goes on across pages; this page then shows what plays now and the queue.
import { get, api, ApiError } from "/static/api.js";
import { h, formatDuration } from "/static/dom.js";
import { setTitle, navigate, announce } from "/static/app.js";
import { clientProfile, playRoutes, fill, attachStream, deviceId, NO_HLS } from "/static/playback.js";
import { subtitle } from "/static/cards.js";
import { rememberLanguage } from "/static/play-choices.js";
import * as music from "/static/music.js";
import { addStyles, reasonText, chapterBar, shortcutsHelp, playerKeys, upNextCard, transportBar } from "/static/player-controls.js";
import { isTv } from "/static/tv-mode.js";
import { seekPreview } from "/static/seek-preview.js";

const REPORT_EVERY = 10_000;

export async function render({ main, params, query }) {
  const item = await get(`/api/items/${encodeURIComponent(params.id)}`);
  setTitle(item.title);
  if (item.kind === "track") return renderTrack(main, item, query);
  const routes = await playRoutes();
  main.append(h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, h("a", { href: `#/item/${item.id}` }, `‹ ${item.title}`)),
    h("h1", {}, item.title));
  if (!routes.playback) {
    main.append(h("p", { class: "form-error" }, "This server cannot stream yet: its playback service is not available."));
    return;
  }
  // A film does not play over the music: the music waits in its bar.
  music.audio.pause();
  const media = h("video", { controls: true, preload: "auto", playsinline: true });
  const message = h("p", { class: "form-error", role: "alert", hidden: true });
  const info = h("p", { class: "muted", id: "playback-method" });
  // Why the server converts, as text beside the player: the viewer learns it without hovering anything.
  const reason = h("p", { class: "player-reason", id: "playback-reason", hidden: true });
  addStyles();
  const player = h("div", { class: "player" }, media, reason, message, info);
  main.append(player);

  // The version, audio track and subtitles the item page chose (its Play link carries them).
  const fileId = query.get("file");
  const chosenAudio = /^\d+$/.test(query.get("audio") || "") ? Number(query.get("audio")) : null;
  const state = { item, hls: null, timer: null, lastReport: 0, closed: false, sessionId: null };
  // Another audio track is another stream: carry on from where the viewer was, not from the start.
  const audioSelect = audioTracks(item, fileId, chosenAudio, (index) => start(index, media.currentTime));
  if (audioSelect) player.append(audioSelect);
  const subtitleSelect = subtitleChooser(media, query.get("sub"));
  const file = item.files.find((f) => f.media && (!fileId || f.id === fileId));
  const chapters = chapterBar(media, file?.media.chapters, file?.media.duration);
  const help = shortcutsHelp();
  const upNext = { card: null };
  const playNext = async () => {
    const next = await nextEpisode();
    if (next) navigate(`/play/${next.id}`, { replace: true });
  };
  const buttons = h("div", { class: "player-buttons" }, chapters ? chapters.buttons : null, help.button);
  if (chapters) player.insertBefore(chapters.element, reason);
  player.insertBefore(buttons, reason);
  player.append(subtitleSelect.field, help.dialog);

  const fail = (text) => { message.textContent = text; message.hidden = false; };

  async function start(audioIndex = null, at = null) {
    message.hidden = true;
    // The stream being replaced may hold an encoder; free it before asking for another.
    if (routes.stop && state.sessionId) api("DELETE", fill(routes.stop, { session_id: state.sessionId })).catch(() => {});
    state.sessionId = null;
    let decision;
    const profile = clientProfile(media);
    try {
      decision = await api("POST", fill(routes.playback, { item_id: item.id }), {
        profile, device_id: deviceId(), ...(fileId ? { file_id: fileId } : {}),
        ...(audioIndex !== null ? { audio_index: audioIndex } : {}),
      });
    } catch (err) {
      fail(err instanceof ApiError ? err.message : "Playback could not start.");
      return;
    }
    state.sessionId = decision.session_id;
    const words = { direct: "Direct play: the file is sent as it is.", remux: "Direct stream: repackaged for this browser without re-encoding.", transcode: "Converting for this browser." };
    info.textContent = words[decision.method] || decision.method;
    reason.textContent = reasonText(decision, profile);
    reason.hidden = !reason.textContent;
    player.dataset.method = decision.method;
    for (const old of media.querySelectorAll("track")) old.remove();
    for (const sub of decision.subtitles || []) {
      media.append(h("track", { kind: "subtitles", src: sub.url, srclang: sub.language || "und", label: sub.title || sub.language || "Subtitles", default: sub.forced }));
    }
    subtitleSelect.refresh(decision.subtitles || []);
    // Listen before attaching: a cached stream may have its metadata before the next line runs.
    media.addEventListener("loadedmetadata", () => {
      if (at !== null) { media.currentTime = at; return; }
      if (decision.resume_position > 5 && (!media.duration || decision.resume_position < media.duration - 10)) {
        media.currentTime = decision.resume_position;
        announce(`Resuming at ${formatDuration(decision.resume_position)}.`);
      }
    }, { once: true });
    if (!(await attachStream(media, decision, state))) { fail(NO_HLS); return; }
    try { await media.play(); } catch { /* autoplay may be refused; the controls are there */ }
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
  // The next episode, asked once: the item's detail, for Up next's "S01E03 · Title". Null for anything else.
  let nextLookup = null;
  const nextEpisode = () => {
    if (!nextLookup) {
      nextLookup = (async () => {
        if (item.kind !== "episode" || !routes.next) return null;
        try {
          const next = await get(fill(routes.next, { item_id: item.id }));
          return next && next.item_id ? await get(`/api/items/${encodeURIComponent(next.item_id)}`) : null;
        } catch { return null; /* no next episode */ }
      })();
    }
    return nextLookup;
  };
  media.addEventListener("ended", async () => {
    await report(true);
    const next = await nextEpisode();
    if (!next || state.closed || upNext.card?.active()) return;
    upNext.card = upNextCard(next, playNext);
    player.insertBefore(upNext.card.card, reason);
    announce(`Up next: ${upNext.card.label}, in 10 seconds. Escape cancels.`);
    // A remote has no pointer to reach the card with: its Play now takes the focus, so Enter plays it at once.
    if (isTv()) upNext.card.card.querySelector("button")?.focus({ focusVisible: true });
  });
  // A replay after the end is no longer "the end": the card goes.
  media.addEventListener("play", () => { if (upNext.card) { upNext.card.cancel(); upNext.card = null; } });
  const transport = transportBar(media, (by) => step(by));
  player.insertBefore(transport.element, chapters ? chapters.element : buttons);
  // Pictures of the film above the seek slider, once the server has made them.
  seekPreview(item.id, transport.seek, transport.element);
  // On a TV our bar stands in for the <video>'s own controls, which a remote cannot reach: showing both would be
  // two bars for one film. Elsewhere the native controls stay (full screen, picture in picture, captions menu),
  // and the layout can change under a playing film (the Account page's choice, a window moved to the set).
  const nativeControls = () => { media.controls = !isTv(); };
  nativeControls();
  const layout = new MutationObserver(nativeControls);
  layout.observe(document.documentElement, { attributes: true, attributeFilter: ["class"] });
  // A remote's Up and Down move between controls (the set has its own volume keys): Down from the page lands on
  // Play/Pause. With a keyboard they stay the volume keys.
  const remoteDown = () => { transport.toggle.focus({ focusVisible: true }); transport.toggle.scrollIntoView({ block: "nearest" }); };
  const step = (by) => { media.currentTime = Math.max(0, Math.min(media.currentTime + by, isFinite(media.duration) ? media.duration : Infinity)); };
  const volume = (by) => {
    media.volume = Math.round(Math.max(0, Math.min(1, media.volume + by)) * 10) / 10;
    if (by > 0) media.muted = false;
    announce(`Volume ${Math.round(media.volume * 100)}%`);
  };
  const playPause = () => { if (media.paused) media.play().catch(() => {}); else media.pause(); };
  const stopKeys = playerKeys({
    Space: playPause, k: playPause,
    ArrowLeft: () => step(-10), ArrowRight: () => step(10),
    ArrowUp: () => (isTv() ? false : volume(0.1)), ArrowDown: () => (isTv() ? remoteDown() : volume(-0.1)),
    m: () => { media.muted = !media.muted; announce(media.muted ? "Muted" : "Sound on"); },
    f: () => { if (document.fullscreenElement) document.exitFullscreen().catch(() => {}); else player.requestFullscreen().catch(() => {}); },
    c: () => announce(`Subtitles: ${subtitleSelect.cycle()}`),
    n: () => (item.kind === "episode" ? void playNext() : false),
    "?": help.toggle,
    PageUp: () => (chapters ? chapters.previous() : false),
    PageDown: () => (chapters ? chapters.next() : false),
    Escape: () => {
      if (!upNext.card?.active()) return false;
      upNext.card.cancel();
      upNext.card = null;
      announce("Up next cancelled");
    },
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
  await start(chosenAudio, query.get("from") === "start" ? 0 : null);
  return () => {
    window.removeEventListener("pagehide", release);
    layout.disconnect();
    stopKeys();
    if (upNext.card) upNext.card.cancel();
    if (document.fullscreenElement === player) document.exitFullscreen().catch(() => {});
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

// Text subtitles are <track> elements; this chooser shows one or none, and survives a stream change. `wanted`:
// the subtitle id (or "off") chosen before playing, applied to the first stream.
function subtitleChooser(media, wanted) {
  const select = h("select", { id: "subtitle-track" });
  const field = h("div", { class: "field", hidden: true }, h("label", { for: "subtitle-track" }, "Subtitles"), select);
  const apply = () => {
    const chosen = media.querySelectorAll("track")[Number(select.value)];
    // Every other text track goes quiet, including any an HLS library added for the stream's renditions.
    for (const track of media.textTracks) {
      const mode = select.value !== "" && chosen && track === chosen.track ? "showing" : "disabled";
      if (track.mode !== mode) track.mode = mode;
    }
  };
  let shown = [];
  select.addEventListener("change", () => {
    apply();
    const sub = shown[Number(select.value)];
    rememberLanguage({ subtitle_language: select.value !== "" && sub ? sub.language : null });
  });
  // hls.js turns on a subtitle rendition of its own choosing once the stream is parsed (reusing our <track>s):
  // the viewer's choice wins.
  media.textTracks.addEventListener("change", apply);
  let first = true;
  const refresh = (subs) => {
    let value = select.value;
    if (first) {
      // The first stream: the item page's choice, else a forced track (foreign lines only), else none.
      const at = wanted && wanted !== "off" ? subs.findIndex((s) => s.id === wanted) : -1;
      const forced = subs.findIndex((s) => s.forced);
      value = wanted === "off" ? "" : at >= 0 ? String(at) : forced >= 0 ? String(forced) : "";
      first = false;
    }
    shown = subs;
    select.replaceChildren(h("option", { value: "" }, "Off"),
      ...subs.map((s, at) => h("option", { value: at }, [s.title, s.language].filter(Boolean).join(" · ") || `Subtitles ${at + 1}`)));
    select.value = value !== "" && Number(value) < subs.length ? value : "";
    field.hidden = subs.length === 0;
    apply();
  };
  // The "c" key: off, then each track in turn, then off again; returns what now shows.
  const cycle = () => {
    if (!shown.length) return "none available";
    const at = select.value === "" ? 0 : Number(select.value) + 1;
    select.value = at < shown.length ? String(at) : "";
    select.dispatchEvent(new Event("change"));
    return select.value === "" ? "off" : select.selectedOptions[0].textContent;
  };
  return { field, refresh, cycle };
}

function audioTracks(item, fileId, current, choose) {
  const file = item.files.find((f) => f.media && (!fileId || f.id === fileId));
  const audio = file ? file.media.streams.filter((s) => s.type === "audio") : [];
  if (audio.length < 2) return null;
  const select = h("select", { id: "audio-track" }, audio.map((s) => h("option", { value: s.index }, [s.title, s.language, s.codec, s.channels ? `${s.channels} ch` : ""].filter(Boolean).join(" · "))));
  if (current !== null && audio.some((s) => s.index === current)) select.value = String(current);
  select.addEventListener("change", () => {
    const index = Number(select.value);
    choose(index);
    rememberLanguage({ audio_language: audio.find((s) => s.index === index)?.language });
  });
  return h("div", { class: "field" }, h("label", { for: "audio-track" }, "Audio track"), select);
}

const METHOD_WORDS = { direct: "Direct play: the file is sent as it is.", remux: "Direct stream: repackaged for this browser without re-encoding.", transcode: "Converting for this browser." };

// A track plays in the mini-player, which outlives this page: the page starts it (with its album as the queue)
// unless it already plays, and then follows whatever the queue plays next.
async function renderTrack(main, item, query) {
  const from = query.get("from") === "start" ? 0 : null;
  await music.restore();
  if (!music.isPlaying(item.id)) {
    const at = music.state.tracks.findIndex((t) => t.id === item.id);
    // After a reload the saved queue (with its order) holds the track: play it there rather than rebuild it.
    if (at >= 0 && music.idle()) await music.playAt(at, { from });
    else await music.playFrom(item, query.get("queue"), { from });
  }
  const back = h("a", { href: `#/item/${item.id}` }, `‹ ${item.title}`);
  const heading = h("h1", {}, item.title);
  const sub = h("p", { class: "meta" }, subtitle(item));
  const error = h("p", { class: "form-error", role: "alert", hidden: true });
  const info = h("p", { class: "muted", id: "playback-method" });
  const list = h("ol", { class: "queue", "aria-label": "Queue" });
  main.append(h("nav", { class: "crumbs", "aria-label": "Breadcrumb" }, back), heading, sub, error,
    h("p", { class: "muted" }, "The player bar at the bottom of the screen keeps playing while you browse."), info,
    h("section", { "aria-labelledby": "h-queue" }, h("h2", { id: "h-queue" }, "Queue"), list));
  let shown = item.id;
  const draw = () => {
    const track = music.current();
    if (!track) return;
    heading.textContent = track.title;
    setTitle(track.title);
    sub.textContent = subtitle(track);
    back.href = `#/item/${track.id}`;
    back.textContent = `‹ ${track.title}`;
    error.textContent = music.state.error;
    error.hidden = !music.state.error;
    info.textContent = METHOD_WORDS[music.state.method] || music.state.method;
    list.replaceChildren(...music.state.tracks.map((t, at) => h("li", { "aria-current": at === music.state.index ? "true" : null },
      h("button", { type: "button", class: "link", onclick: () => music.playAt(at) }, t.title))));
    // The address follows the track, so a reload or a shared link lands on what plays now.
    if (track.id !== shown) {
      shown = track.id;
      history.replaceState(null, "", `#/play/${encodeURIComponent(track.id)}${track.parent_id ? `?queue=${encodeURIComponent(track.parent_id)}` : ""}`);
    }
  };
  draw();
  music.events.addEventListener("change", draw);
  return () => music.events.removeEventListener("change", draw);
}
