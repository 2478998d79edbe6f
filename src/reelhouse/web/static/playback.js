// What this browser can play, for the server's playback decision, and the routes that keep play state.
import { serverRoutes } from "/static/api.js";

const VIDEO = [
  ["h264", 'video/mp4; codecs="avc1.640028"'], ["hevc", 'video/mp4; codecs="hvc1.1.6.L120.90"'],
  ["vp9", 'video/webm; codecs="vp9"'], ["vp8", 'video/webm; codecs="vp8"'], ["av1", 'video/mp4; codecs="av01.0.08M.08"'],
];
const AUDIO = [
  ["aac", 'audio/mp4; codecs="mp4a.40.2"'], ["mp3", "audio/mpeg"], ["opus", 'audio/webm; codecs="opus"'],
  ["vorbis", 'audio/webm; codecs="vorbis"'], ["flac", "audio/flac"], ["ac3", 'audio/mp4; codecs="ac-3"'],
  ["eac3", 'audio/mp4; codecs="ec-3"'], ["pcm_s16le", 'audio/wav; codecs="1"'],
];
const CONTAINERS = [["mp4", "video/mp4"], ["webm", "video/webm"], ["ogg", "audio/ogg"], ["mp3", "audio/mpeg"], ["flac", "audio/flac"], ["wav", "audio/wav"], ["aac", "audio/aac"]];

export const HLS_TYPE = "application/vnd.apple.mpegurl";

export function nativeHls(media) {
  return Boolean(media.canPlayType(HLS_TYPE) || media.canPlayType("application/x-mpegURL"));
}

export function clientProfile(media) {
  const can = (type) => media.canPlayType(type) !== "";
  const screenW = Math.round(window.screen.width * (window.devicePixelRatio || 1));
  const screenH = Math.round(window.screen.height * (window.devicePixelRatio || 1));
  return {
    containers: CONTAINERS.filter(([, type]) => can(type)).map(([name]) => name),
    video_codecs: VIDEO.filter(([, type]) => can(type)).map(([name]) => name),
    audio_codecs: AUDIO.filter(([, type]) => can(type)).map(([name]) => name),
    max_width: Math.min(7680, Math.max(160, Math.max(screenW, screenH, 1920))),
    max_height: Math.min(4320, Math.max(120, Math.min(screenW, screenH, 2160) >= 1080 ? Math.min(screenW, screenH) : 1080)),
    // hls.js (when the setup command fetched it) or the browser itself plays HLS; without either, only direct play.
    hls: nativeHls(media) || window.MediaSource !== undefined,
  };
}

// The playback API's companion routes, found in the server's route table rather than guessed.
export async function playRoutes() {
  const routes = [...(await serverRoutes())];
  const find = (re) => { const hit = routes.find((r) => re.test(r)); return hit ? hit.split(" ") : null; };
  return {
    playback: find(/^POST \/api\/items\/\{item_id\}\/playback$/),
    progress: find(/^(POST|PUT) \/api\/items\/\{item_id\}\/(progress|position|playstate|state)$/),
    next: find(/^GET \/api\/items\/\{item_id\}\/next/),
    stop: find(/^DELETE \/api\/hls\/\{session_id\}$/),
  };
}

export function fill(route, params) {
  return route[1].replace(/\{(\w+)\}/g, (_, key) => encodeURIComponent(params[key]));
}

let hlsLoading = null;
// hls.js is optional: served from /static/vendor/ when the setup command fetched it from the npm registry.
export function loadHlsJs() {
  if (window.Hls) return Promise.resolve(window.Hls);
  if (!hlsLoading) {
    hlsLoading = new Promise((resolve) => {
      const script = document.createElement("script");
      script.src = "/static/vendor/hls.min.js";
      script.onload = () => resolve(window.Hls || null);
      script.onerror = () => { hlsLoading = null; resolve(null); };
      document.head.append(script);
    });
  }
  return hlsLoading;
}

// Puts a decision's stream on a media element: the URL itself, or through hls.js where the browser cannot play
// HLS alone. `holder.hls` keeps the hls.js instance so the next stream replaces it. False when it cannot play.
export async function attachStream(media, decision, holder) {
  if (holder.hls) { holder.hls.destroy(); holder.hls = null; }
  const isHls = decision.content_type === HLS_TYPE || /\.m3u8(\?|$)/.test(decision.url);
  if (!isHls || nativeHls(media)) { media.src = decision.url; return true; }
  const Hls = await loadHlsJs();
  if (!Hls || !Hls.isSupported()) return false;
  holder.hls = new Hls();
  holder.hls.loadSource(decision.url);
  holder.hls.attachMedia(media);
  return true;
}

export const NO_HLS = "This browser cannot play this stream: it needs HLS, and this server does not offer hls.js. Try Safari, or ask the server's owner to run the setup command with Node installed.";

// This browser's player id: a new playback of the same item here replaces the old session on the server.
export function deviceId() {
  const key = "reelhouse.device";
  let id = null;
  try { id = window.localStorage.getItem(key); } catch { /* storage disabled: a fresh id per page */ }
  if (!id || !/^[A-Za-z0-9_-]{8,64}$/.test(id)) {
    id = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
    try { window.localStorage.setItem(key, id); } catch { /* ignore */ }
  }
  return id;
}
