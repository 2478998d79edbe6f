// Music that plays on across pages: one <audio> element that lives outside the page container, the queue of
// tracks it plays, and the same playback decision, signed media URLs and progress reports as the player page.
import { get, api, ApiError } from "/static/api.js";
import { clientProfile, playRoutes, fill, attachStream, deviceId, NO_HLS } from "/static/playback.js";
import { Chain, openTrack } from "/static/gapless.js";
import { saveQueue, restoreQueue, listed, reorder, shuffle, REPEAT_MODES } from "/static/music-queue.js";

const REPORT_EVERY = 10_000;
// "Previous" past this many seconds starts the track again, as every music player does.
const RESTART_AFTER = 3;
export { REPEAT_MODES };
// The next queued track is asked for and loaded this many seconds before the playing one ends.
const PREPARE_BEFORE = 20;
// What the bar and the lyrics panel hear of the playing element, whichever of the two it is at the moment.
const FORWARDED = ["play", "pause", "ended", "playing", "timeupdate", "durationchange", "emptied", "seeked"];

// Listeners (the bar, the player page) hear "change" when the queue, the track or a mode changes.
export const events = new EventTarget();
// The playing element's media events, re-sent here: the element itself changes at each gapless hand-over.
export const media = new EventTarget();

// Two elements take turns: `audio` plays (the one in the page) while `spare`, never in the page, loads the next
// queued track near the end, so that track starts at `ended` without waiting for the network.
function makeAudio() {
  const el = document.createElement("audio");
  el.preload = "auto";
  for (const type of FORWARDED) el.addEventListener(type, () => { if (el === audio) media.dispatchEvent(new Event(type)); });
  el.addEventListener("timeupdate", () => { if (el === audio) { crossSoon(); report(); prepareNext(); } });
  el.addEventListener("pause", () => { if (el === audio && !el.ended) report(true); });
  el.addEventListener("error", () => {
    if (el === spare) { if (ahead.track) discardAhead(); return; }
    if (el.error && stream.itemId) fail("The track could not be played. The file may be damaged, or this browser may not support it.");
  });
  el.addEventListener("ended", () => { if (el === audio) finished(); });
  return el;
}
export let audio = makeAudio();
let spare = makeAudio();
// The next track being readied in `spare` (or, when `start` is set, already appended to the chain at that time):
// its playback decision, and `ready` once its stream is attached.
const ahead = { track: null, decision: null, holder: { hls: null }, ready: false, seq: 0, start: null, duration: 0 };

export const state = { tracks: [], index: -1, repeat: "off", shuffled: false, original: null, error: "", method: "" };
// With gapless play (`chain`), the element holds several tracks: the playing one starts at `offset` and lasts
// `length` seconds; otherwise `offset` is 0 and `length` null (the element's own duration).
const stream = { hls: null, sessionId: null, itemId: null, lastReport: 0, seq: 0, chain: null, offset: 0, length: null };
let crossTimer = 0;
// The playback routes, found once: the page-hide handler must not wait for them.
let routes = {};

export const current = () => state.tracks[state.index] || null;
// The playing track's own time and length, whatever else the element holds before it. The element keeps whole
// microseconds, so a seek to a lyric line's start could read back a hair before it: the millisecond is exact enough.
export const elapsed = () => Math.max(0, Math.round(((audio.currentTime || 0) - stream.offset) * 1000) / 1000);
export const length = () => stream.length ?? audio.duration;

function changed() {
  saveQueue(state, current()?.id || null);
  events.dispatchEvent(new Event("change"));
}

// The shell and the player page may both ask at once after a reload: one look at the saved queue serves both.
let restoring = null;
export function restore() {
  if (!restoring) restoring = restoreQueue(state).then((restored) => { if (restored) changed(); }).finally(() => { restoring = null; });
  return restoring;
}

// The queue for a track: its album's tracks in order (or the given parent's), starting at the track.
export async function playFrom(track, parentId = null, { from = null } = {}) {
  const parent = parentId || track.parent_id;
  let tracks = [track];
  if (parent) {
    try {
      const children = (await get(`/api/items/${encodeURIComponent(parent)}/children`)).filter((t) => t.kind === "track");
      if (children.some((t) => t.id === track.id)) tracks = await listed(children.map((t) => t.id)).catch(() => children);
    } catch { /* the album could not be listed: the track alone */ }
  }
  if (!tracks.some((t) => t.id === track.id)) tracks = [track];
  await playQueue(tracks, tracks.findIndex((t) => t.id === track.id), { from });
}

export async function playQueue(tracks, index = 0, options = {}) {
  state.tracks = [...tracks];
  state.shuffled = false;
  state.original = null;
  await playAt(index, options);
}

// Whether this track has a stream now (playing or paused), as opposed to only being queued.
export function isPlaying(trackId) {
  return current()?.id === trackId && stream.itemId === trackId;
}

// Nothing streams yet: a queue restored after a reload, waiting for its first play.
export const idle = () => stream.itemId === null;

// `from` starts at that second; without it a track the listener left part-way resumes, as the player page does.
export async function playAt(index, { autoplay = true, from = null } = {}) {
  if (index < 0 || index >= state.tracks.length) return;
  await report(true);
  state.index = index;
  state.error = "";
  state.method = "";
  changed();
  await load(current(), autoplay, from);
}

async function load(track, autoplay, from) {
  const seq = ++stream.seq;
  discardAhead();
  releaseSession();
  audio.pause();
  dropChain();
  stream.itemId = null;
  routes = await playRoutes().catch(() => ({}));
  if (seq !== stream.seq) return;
  if (!routes.playback) { fail("This server cannot stream yet: its playback service is not available."); return; }
  let decision;
  try {
    decision = await api("POST", fill(routes.playback, { item_id: track.id }), { profile: clientProfile(audio), device_id: deviceId() });
  } catch (err) {
    if (seq === stream.seq) fail(err instanceof ApiError ? err.message : "Playback could not start.");
    return;
  }
  if (seq !== stream.seq) {
    if (routes.stop && decision.session_id) api("DELETE", fill(routes.stop, { session_id: decision.session_id })).catch(() => {});
    return;
  }
  stream.sessionId = decision.session_id || null;
  stream.itemId = track.id;
  stream.lastReport = Date.now();
  state.method = decision.method || "";
  events.dispatchEvent(new Event("change"));
  // Listen before attaching: a cached stream may have its metadata before the next line runs.
  startAt(audio, decision, from);
  // A track the chain can hold starts it: the tracks after it are appended to the same element.
  const whole = await openTrack(decision).catch(() => null);
  if (seq !== stream.seq) { whole?.reader.cancel().catch(() => {}); return; }
  if (whole) {
    stream.chain = new Chain(audio);
    stream.length = whole.duration;
    if (!(await stream.chain.append(whole).then(() => true, () => false))) {
      if (seq !== stream.seq) return;
      dropChain();
      audio.src = decision.url;
    }
  } else if (!(await attachStream(audio, decision, stream))) { fail(NO_HLS); return; }
  if (seq !== stream.seq) return;
  if (autoplay) {
    try { await audio.play(); } catch { /* autoplay may be refused; the play button is there */ }
  }
}

// Listen before attaching: a cached stream may have its metadata before attaching returns.
function startAt(el, decision, from) {
  el.addEventListener("loadedmetadata", () => {
    if (from !== null) { el.currentTime = from; return; }
    const at = decision.resume_position;
    if (at > 5 && (!el.duration || at < el.duration - 10)) el.currentTime = at;
  }, { once: true });
}

// The track that plays after this one by itself (none under "repeat one", which restarts this one).
function upcoming() {
  if (state.repeat === "one" || state.index < 0) return -1;
  if (state.index + 1 < state.tracks.length) return state.index + 1;
  return state.repeat === "all" && state.tracks.length ? 0 : -1;
}

// Near the end, the next track gets its playback decision (the same request as any play) and loads in `spare`.
// A refusal (the account's stream limit, say) only means that track starts after the end, as it always did.
// With a chain, the next track is appended to it when its file says how long its music is; otherwise the chain
// is closed (so the element ends) and the next track loads in `spare` as before.
async function prepareNext() {
  const at = upcoming();
  const left = length() - elapsed();
  if (!stream.itemId || !routes.playback || !isFinite(left) || left > PREPARE_BEFORE) return;
  if (at < 0) {
    if (ahead.track) discardAhead();
    stream.chain?.finish();
    return;
  }
  const track = state.tracks[at];
  if (ahead.track === track) return;
  discardAhead();
  ahead.track = track;
  const seq = ahead.seq;
  let decision;
  try {
    decision = await api("POST", fill(routes.playback, { item_id: track.id }), { profile: clientProfile(spare), device_id: deviceId() });
  } catch { return; }
  if (seq !== ahead.seq) { endSession(decision.session_id); return; }
  ahead.decision = decision;
  const chain = stream.chain;
  if (chain) {
    const whole = await openTrack(decision).catch(() => null);
    if (whole && seq !== ahead.seq) whole.reader.cancel().catch(() => {});
    const start = whole && seq === ahead.seq ? await chain.append(whole).catch(() => null) : null;
    if (seq !== ahead.seq) { if (start !== null) chain.truncate(start); return; }
    if (start !== null) {
      Object.assign(ahead, { start, duration: whole.duration, ready: true });
      crossSoon();
      return;
    }
    chain.finish();
  }
  startAt(spare, decision, null);
  if (!(await attachStream(spare, decision, ahead.holder))) { discardAhead(); return; }
  if (seq === ahead.seq) ahead.ready = true;
}

function discardAhead() {
  ahead.seq += 1;
  const session = ahead.decision?.session_id;
  const loaded = ahead.track !== null;
  ahead.track = null;
  ahead.decision = null;
  ahead.ready = false;
  if (ahead.start !== null) stream.chain?.truncate(ahead.start);
  ahead.start = null;
  if (ahead.holder.hls) { ahead.holder.hls.destroy(); ahead.holder.hls = null; }
  if (loaded) { spare.removeAttribute("src"); spare.load(); }
  endSession(session);
}

// The end of a track: "repeat one" starts it again; otherwise the next one plays, from `spare` when it is ready.
async function finished() {
  const at = upcoming();
  if (at >= 0 && ahead.ready && ahead.start === null && state.tracks[at] === ahead.track) { handOver(at); return; }
  await report(true);
  if (state.repeat === "one") {
    // A chained track starts again alone, from time 0 of a fresh element, rather than deep inside the chain.
    if (stream.offset > 0) { playAt(state.index, { from: 0 }); return; }
    seek(0);
    audio.play().catch(() => {});
    return;
  }
  if (at >= 0) playAt(at);
}

// The readied element takes the played one's place in the page and plays at once; the finished track is then
// reported and its session ended, as a normal advance does.
function handOver(at) {
  const done = { itemId: stream.itemId, position: elapsed(), duration: length() };
  const oldSession = stream.sessionId;
  const old = audio;
  stream.seq += 1;
  if (stream.hls) stream.hls.destroy();
  stream.hls = ahead.holder.hls;
  ahead.holder.hls = null;
  audio = spare;
  spare = old;
  if (old.isConnected) old.replaceWith(audio);
  audio.play().catch(() => {});
  state.index = at;
  state.error = "";
  state.method = ahead.decision.method || "";
  stream.sessionId = ahead.decision.session_id || null;
  stream.itemId = ahead.track.id;
  stream.lastReport = Date.now();
  ahead.track = null;
  ahead.decision = null;
  ahead.ready = false;
  ahead.seq += 1;
  old.removeAttribute("src");
  old.load();
  dropChain();
  changed();
  send(done).finally(() => endSession(oldSession));
}

// The playhead is about to reach the appended track: the switch is timed to the boundary, not to the next
// timeupdate (a quarter of a second later).
function crossSoon() {
  if (ahead.start === null || !ahead.ready || crossTimer) return;
  const wait = (ahead.start - audio.currentTime) / (audio.playbackRate || 1);
  if (wait > 1) return;
  crossTimer = setTimeout(() => { crossTimer = 0; cross(); }, Math.max(0, wait * 1000));
}

// The chained track now plays, in the same element: the finished one is reported played and its session ended,
// and the bar, lyrics and queue follow the new one.
function cross() {
  if (ahead.start === null || !ahead.ready) return;
  if (audio.currentTime < ahead.start) { crossSoon(); return; }
  const done = { itemId: stream.itemId, position: stream.length, duration: stream.length };
  const oldSession = stream.sessionId;
  state.index = state.tracks.indexOf(ahead.track);
  state.error = "";
  state.method = ahead.decision.method || "";
  Object.assign(stream, { sessionId: ahead.decision.session_id || null, itemId: ahead.track.id, lastReport: Date.now(),
    offset: ahead.start, length: ahead.duration });
  Object.assign(ahead, { track: null, decision: null, ready: false, start: null, seq: ahead.seq + 1 });
  changed();
  media.dispatchEvent(new Event("durationchange"));
  send(done).finally(() => endSession(oldSession));
}

function dropChain() {
  stream.chain?.release();
  Object.assign(stream, { chain: null, offset: 0, length: null });
  clearTimeout(crossTimer);
  crossTimer = 0;
}

function fail(text) {
  state.error = text;
  events.dispatchEvent(new Event("change"));
}

// Where the listener is, as the player page reports it: every ten seconds, on pause and at the end (90 % or more
// marks the track played on the server).
async function report(force = false) {
  const itemId = stream.itemId;
  if (!itemId || !isFinite(audio.currentTime) || audio.currentTime <= 0) return;
  const now = Date.now();
  if (!force && now - stream.lastReport < REPORT_EVERY) return;
  stream.lastReport = now;
  await send({ itemId, position: elapsed(), duration: length() });
}

async function send({ itemId, position, duration }) {
  if (!itemId || !routes.progress || !isFinite(position) || position <= 0) return;
  const known = isFinite(duration) && duration > 0 ? duration : undefined;
  try {
    await api(routes.progress[0], fill(routes.progress, { item_id: itemId }), { position, ...(known ? { duration: known } : {}) });
  } catch { /* a missed progress report only costs resume accuracy */ }
}

function releaseSession() {
  const id = stream.sessionId;
  stream.sessionId = null;
  endSession(id);
}

// A transcode keeps a CPU busy: tell the server as soon as nobody listens to it.
function endSession(id) {
  if (id && routes.stop) api("DELETE", fill(routes.stop, { session_id: id })).catch(() => {});
}

export function toggle() {
  if (!current()) return;
  if (stream.itemId !== current().id) { playAt(state.index); return; }
  if (audio.paused) audio.play().catch(() => {});
  else audio.pause();
}

export function next() {
  if (state.index + 1 < state.tracks.length) playAt(state.index + 1);
  else if (state.repeat === "all" && state.tracks.length) playAt(0);
}

export function previous() {
  if (elapsed() > RESTART_AFTER || state.index <= 0) {
    if (state.index === 0 && state.repeat === "all" && elapsed() <= RESTART_AFTER) { playAt(state.tracks.length - 1); return; }
    seek(0);
    return;
  }
  playAt(state.index - 1);
}

export function seek(seconds) {
  const total = length();
  if (isFinite(total)) audio.currentTime = stream.offset + Math.max(0, Math.min(total, seconds));
}

export function setRepeat(mode) {
  state.repeat = REPEAT_MODES.includes(mode) ? mode : "off";
  changed();
}

export function move(index, delta) {
  if (reorder(state, index, delta)) changed();
}

export function setShuffle(on) {
  shuffle(state, on);
  changed();
}

export function remove(index) {
  if (index < 0 || index >= state.tracks.length) return;
  const wasCurrent = index === state.index;
  const [gone] = state.tracks.splice(index, 1);
  if (state.original) state.original = state.original.filter((t) => t !== gone);
  if (!state.tracks.length) { stop(); return; }
  if (index < state.index) state.index -= 1;
  if (!wasCurrent) { changed(); return; }
  // The playing track left: the one after it (now at the same place) plays, if the music was playing.
  const playing = !audio.paused;
  state.index = Math.min(index, state.tracks.length - 1);
  if (playing) playAt(state.index);
  else { stream.seq += 1; audio.pause(); releaseSession(); dropChain(); stream.itemId = null; audio.removeAttribute("src"); audio.load(); changed(); }
}

// Signing out, or an emptied queue: nothing plays and nothing is kept for a reload.
export function stop() {
  report(true);
  stream.seq += 1;
  discardAhead();
  releaseSession();
  stream.itemId = null;
  audio.pause();
  if (stream.hls) { stream.hls.destroy(); stream.hls = null; }
  dropChain();
  audio.removeAttribute("src");
  audio.load();
  state.tracks = [];
  state.index = -1;
  state.original = null;
  state.shuffled = false;
  state.error = "";
  changed();
}

// A reload or a closed tab never runs a teardown: end the stream's session as the page goes away. A keepalive
// fetch outlives the page, so a transcode's slot is free for the next load.
window.addEventListener("pagehide", () => {
  if (!routes.stop) return;
  for (const id of [stream.sessionId, ahead.decision?.session_id]) {
    if (id) fetch(fill(routes.stop, { session_id: id }), { method: "DELETE", keepalive: true, credentials: "same-origin" }).catch(() => {});
  }
  stream.sessionId = null;
  if (ahead.decision) ahead.decision.session_id = null;
});
