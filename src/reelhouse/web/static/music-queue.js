// The mini-player's queue as data: kept across a reload (ids only), listed as listings show tracks, reordered and
// shuffled. music.js owns the queue's state and plays it; these functions only change or store that state.
import { get } from "/static/api.js";

const STORE = "reelhouse.queue";
const LISTED_BATCH = 24;
export const REPEAT_MODES = ["off", "all", "one"];

// Only ids go to sessionStorage: on a reload each is asked for again, so a track the user may no longer see is
// dropped instead of being shown from a stale copy.
export function saveQueue(state, at) {
  try {
    if (!state.tracks.length) { sessionStorage.removeItem(STORE); return; }
    sessionStorage.setItem(STORE, JSON.stringify({
      ids: state.tracks.map((t) => t.id), at, repeat: state.repeat,
      original: state.shuffled && state.original ? state.original.map((t) => t.id) : null,
    }));
  } catch { /* storage disabled: the queue lasts as long as the page */ }
}

// Tracks as listings show them (album and artist names), and only those the caller may see.
export async function listed(ids) {
  const batches = [];
  for (let at = 0; at < ids.length; at += LISTED_BATCH) batches.push(ids.slice(at, at + LISTED_BATCH));
  const answers = await Promise.all(batches.map((b) => get(`/api/listed?ids=${b.map(encodeURIComponent).join(",")}`)));
  const found = new Map(answers.flat().filter((i) => i.kind === "track").map((i) => [i.id, i]));
  return ids.map((id) => found.get(id)).filter(Boolean);
}

// Puts the saved queue back into an empty `state`; true when it did.
export async function restoreQueue(state) {
  let saved = null;
  try { saved = JSON.parse(sessionStorage.getItem(STORE) || "null"); } catch { saved = null; }
  if (!saved || !Array.isArray(saved.ids) || !saved.ids.length || state.tracks.length) return false;
  let tracks;
  try { tracks = await listed(saved.ids.filter((id) => typeof id === "string").slice(0, 500)); } catch { return false; }
  // Something else started playing while the saved queue was being checked: that wins.
  if (state.tracks.length) return false;
  state.tracks = tracks;
  state.index = tracks.length ? Math.max(0, tracks.findIndex((t) => t.id === saved.at)) : -1;
  state.repeat = REPEAT_MODES.includes(saved.repeat) ? saved.repeat : "off";
  const kept = new Map(tracks.map((t) => [t.id, t]));
  state.original = Array.isArray(saved.original) ? saved.original.map((id) => kept.get(id)).filter(Boolean) : null;
  state.shuffled = Boolean(state.original);
  return true;
}

// Moves one queued track; the playing track keeps playing wherever it lands. False when the move is impossible.
export function reorder(state, index, delta) {
  const to = index + delta;
  if (index < 0 || to < 0 || index >= state.tracks.length || to >= state.tracks.length) return false;
  const playing = state.tracks[state.index];
  const [track] = state.tracks.splice(index, 1);
  state.tracks.splice(to, 0, track);
  state.index = state.tracks.indexOf(playing);
  return true;
}

// Shuffle keeps the playing track first and mixes the rest; turning it off puts back the order it came in.
export function shuffle(state, on) {
  const playing = state.tracks[state.index] || null;
  if (on && !state.shuffled) {
    state.original = [...state.tracks];
    const rest = state.tracks.filter((t) => t !== playing);
    for (let i = rest.length - 1; i > 0; i -= 1) {
      const j = Math.floor(Math.random() * (i + 1));
      [rest[i], rest[j]] = [rest[j], rest[i]];
    }
    state.tracks = playing ? [playing, ...rest] : rest;
  } else if (!on && state.shuffled) {
    const still = new Set(state.tracks);
    state.tracks = (state.original || state.tracks).filter((t) => still.has(t));
    state.original = null;
  }
  state.shuffled = Boolean(on);
  state.index = playing ? state.tracks.indexOf(playing) : -1;
}
