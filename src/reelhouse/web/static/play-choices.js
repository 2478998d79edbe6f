// The choices an item page offers before playing: which version (file), audio track and subtitles. Play and
// Resume carry them to the player in their address; the languages chosen are remembered for the viewer, so the
// next item's choices start from the same languages where it has them.
import { get, api } from "/static/api.js";
import { h } from "/static/dom.js";

const LANGUAGES_URL = "/api/account/playback-languages";

// ISO 639-2 bibliographic codes (what Matroska and MP4 files often carry) that differ from the terminology
// codes browsers know, so "fre" and "fr" are one language.
const BIBLIOGRAPHIC = {
  alb: "sq", arm: "hy", baq: "eu", bur: "my", chi: "zh", cze: "cs", dut: "nl", fre: "fr", geo: "ka", ger: "de",
  gre: "el", ice: "is", mac: "mk", mao: "mi", may: "ms", per: "fa", rum: "ro", slo: "sk", tib: "bo", wel: "cy",
};

// The language as one canonical tag ("eng", "en" and "en-GB" are all "en"); null when unknown.
export function languageKey(tag) {
  if (!tag || tag === "und") return null;
  const lower = String(tag).toLowerCase();
  const base = BIBLIOGRAPHIC[lower] || lower;
  try {
    return Intl.getCanonicalLocales(base)[0].split("-")[0];
  } catch {
    return lower;
  }
}

let names = null;
function languageName(tag) {
  const key = languageKey(tag);
  if (!key) return "";
  try {
    names ||= new Intl.DisplayNames([navigator.language || "en"], { type: "language" });
    return names.of(key) || tag;
  } catch {
    return tag;
  }
}

const CODECS = {
  h264: "H.264", hevc: "HEVC", av1: "AV1", vp9: "VP9", vp8: "VP8", mpeg4: "MPEG-4", mpeg2video: "MPEG-2",
  aac: "AAC", ac3: "Dolby Digital", eac3: "Dolby Digital Plus", truehd: "Dolby TrueHD", dts: "DTS", mp3: "MP3",
  opus: "Opus", vorbis: "Vorbis", flac: "FLAC", pcm_s16le: "PCM",
};
const codecName = (codec) => CODECS[codec] || (codec || "").toUpperCase();
const CHANNELS = { 1: "Mono", 2: "Stereo", 6: "5.1", 8: "7.1" };

function resolution(video) {
  if (!video || !video.height) return "";
  const tall = Math.max(video.height, Math.round((video.width || 0) * 9 / 16));
  if (tall >= 2000) return "4K";
  return `${[1080, 720, 576, 480].find((line) => tall >= line * 0.9) || video.height}p`;
}

function size(bytes) {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(1, Math.round(bytes / 1e6))} MB`;
}

// "1080p · H.264 · 1.2 GB · Heat (1995) - Director's Cut.mkv": what tells two versions apart at a glance.
export function versionLabel(file, number) {
  const streams = file.media ? file.media.streams : [];
  const video = streams.find((s) => s.type === "video");
  const name = file.path ? file.path.split("/").pop() : `Version ${number}`;
  return [resolution(video), video ? codecName(video.codec) : "", size(file.size), name].filter(Boolean).join(" · ");
}

// "English · AAC 5.1", with the track's own title when the file names it ("Commentary").
export function audioLabel(stream, number) {
  const sound = [codecName(stream.codec), CHANNELS[stream.channels] || (stream.channels ? `${stream.channels} ch` : "")].filter(Boolean).join(" ");
  return [languageName(stream.language) || `Track ${number}`, sound, stream.title].filter(Boolean).join(" · ");
}

const isSdh = (sub) => /\b(sdh|cc|hearing)/i.test(sub.title || "");

export function subtitleLabel(sub, number) {
  const marks = [sub.forced ? "Forced" : "", isSdh(sub) ? "SDH" : ""].filter(Boolean);
  const title = sub.title && !isSdh(sub) ? sub.title : "";
  return [languageName(sub.language) || `Subtitles ${number}`, ...marks, title].filter(Boolean).join(" · ");
}

function select(id, label, options, value) {
  const control = h("select", { id }, options.map(([v, text]) => h("option", { value: v }, text)));
  control.value = String(value);
  return { control, field: h("div", { class: "field" }, h("label", { for: id }, label), control) };
}

function rememberedLanguages() {
  return get(LANGUAGES_URL).catch(() => ({ audio_language: null, subtitle_language: null }));
}

// A change made while playing (the player's own Audio track or Subtitles choice) is remembered too, keeping
// the other language as it was.
export async function rememberLanguage(part) {
  const now = await rememberedLanguages();
  const tag = (value) => (value && value !== "und" ? value : null);
  const body = { ...now, ...Object.fromEntries(Object.entries(part).map(([k, v]) => [k, tag(v)])) };
  await api("PUT", LANGUAGES_URL, body).catch(() => { /* only the next default is lost */ });
}

const audioOf = (file) => (file && file.media ? file.media.streams.filter((s) => s.type === "audio") : []);

function defaultAudio(streams, language) {
  const wanted = languageKey(language);
  const match = wanted && streams.find((s) => languageKey(s.language) === wanted);
  return (match || streams.find((s) => s.default) || streams[0]).index;
}

function defaultSubtitle(subs, language) {
  const wanted = languageKey(language);
  if (!wanted) return "off";
  const same = subs.filter((s) => languageKey(s.language) === wanted);
  // A forced track only covers foreign lines; someone who chose subtitles in a language wants them all.
  const full = same.find((s) => !s.forced && !isSdh(s)) || same.find((s) => !s.forced) || same[0];
  return full ? full.id : "off";
}

// The choice fields for an item, and `apply(link)`, which puts the current choice in a Play link's address.
// Null when there is nothing to choose.
export async function playChoices(item, links) {
  const files = item.files.filter((f) => !f.missing && f.media);
  const subs = item.subtitles || [];
  if (files.length < 2 && audioOf(files[0]).length < 2 && !subs.length) return null;
  const remembered = await rememberedLanguages();
  const box = h("fieldset", { class: "play-choices" }, h("legend", {}, "Play with"));
  const choice = { file: files[0] ? files[0].id : null, audio: null, subtitle: defaultSubtitle(subs, remembered.subtitle_language) };

  let audioField = null;
  const audioSelect = (file) => {
    const streams = audioOf(file);
    choice.audio = streams.length ? defaultAudio(streams, remembered.audio_language) : null;
    const built = streams.length > 1
      ? select("choice-audio", "Audio", streams.map((s, at) => [s.index, audioLabel(s, at + 1)]), choice.audio) : null;
    built?.control.addEventListener("change", () => { choice.audio = Number(built.control.value); update(); });
    const next = built ? built.field : null;
    if (audioField && next) audioField.replaceWith(next);
    else if (audioField) audioField.remove();
    else if (next) {
      // Audio stays above Subtitles when another version brings the first audio choice.
      const subtitleField = box.querySelector("#choice-subtitles")?.parentElement;
      if (subtitleField) subtitleField.before(next);
      else box.append(next);
    }
    audioField = next;
  };

  if (files.length > 1) {
    const version = select("choice-version", "Version", files.map((f, at) => [f.id, versionLabel(f, at + 1)]), choice.file);
    version.control.addEventListener("change", () => {
      choice.file = version.control.value;
      // Another file has its own audio tracks: offer those, starting again from the remembered language.
      audioSelect(files.find((f) => f.id === choice.file));
      update();
    });
    box.append(version.field);
  }
  audioSelect(files[0]);
  if (subs.length) {
    const subtitles = select("choice-subtitles", "Subtitles",
      [["off", "Off"], ...subs.map((s, at) => [s.id, subtitleLabel(s, at + 1)])], choice.subtitle);
    subtitles.control.addEventListener("change", () => { choice.subtitle = subtitles.control.value; update(); });
    box.append(subtitles.field);
  }

  const apply = (link) => {
    const [path, query = ""] = link.getAttribute("href").split("?");
    const params = new URLSearchParams(query);
    for (const key of ["file", "audio", "sub"]) params.delete(key);
    if (files.length > 1 && choice.file) params.set("file", choice.file);
    if (audioField) params.set("audio", String(choice.audio));
    if (subs.length) params.set("sub", choice.subtitle);
    link.setAttribute("href", `${path}?${params}`);
  };
  const update = () => { for (const link of links()) apply(link); };

  // Pressing Play is the choice: its languages become the viewer's defaults for the next item.
  const remember = () => {
    const file = files.find((f) => f.id === choice.file);
    const stream = audioOf(file).find((s) => s.index === choice.audio);
    const sub = subs.find((s) => s.id === choice.subtitle);
    const body = {
      audio_language: audioField ? (stream && stream.language && stream.language !== "und" ? stream.language : null) : remembered.audio_language,
      subtitle_language: subs.length ? (sub && sub.language ? sub.language : null) : remembered.subtitle_language,
    };
    if (!audioField && !subs.length) return;
    api("PUT", LANGUAGES_URL, body).catch(() => { /* a preference not saved only costs the next default */ });
  };
  return { field: box, apply, update, remember };
}
