// Gapless play: consecutive tracks fed through one MediaSource into the one <audio> element, each cut to its exact
// length, so the next track's first sample follows the last one's with nothing between them (a hand-over between
// two elements leaves tens of milliseconds of silence, audible on live albums and classical music).
//
// Two kinds of track are chained. MP3 files whose LAME/Info header says how many samples the encoder added
// (Chromium's MediaSource plays audio/mpeg; without that header the track's true length is unknown). FLAC
// tracks, which Chromium's MediaSource refuses in their own container: the playback decision offers them copied
// into fragmented MP4 (`remux`), with their exact length in samples from the server's probe. Opus and AAC tracks
// come the same way, as FLAC in MP4: the server decodes them (Chromium drops Opus's pre-skip only at the start of
// a chain, which left a gap at every later join) and encodes their samples losslessly, so they chain as FLAC
// does. One chain holds one kind; everything else falls back to the hand-over in music.js. The bytes come from the track's own URLs, so the
// server's media access decision is made for each of them as for any play.

export const CHAIN_TYPE = "audio/mpeg";

// Where the music is in an MP3: seconds to skip at the front and its exact length, or null when the file does not
// say. The Xing/Info frame is the first frame after any ID3v2 tag; LAME's extension follows its optional fields.
// Only the encoder's delay is skipped: Chromium's MP3 parser already drops the decoder's own 529 samples (skipping
// them again cut 529 samples of music from each track's start and left as much silence before its end).
export function mp3Gapless(bytes) {
  let at = 0;
  if (bytes.length > 10 && bytes[0] === 0x49 && bytes[1] === 0x44 && bytes[2] === 0x33) {
    const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
    at = 10 + size + (bytes[5] & 0x10 ? 10 : 0);
  }
  if (at + 200 > bytes.length || bytes[at] !== 0xff || (bytes[at + 1] & 0xe0) !== 0xe0) return null;
  const version = (bytes[at + 1] >> 3) & 3;
  const layer = (bytes[at + 1] >> 1) & 3;
  const rateIndex = (bytes[at + 2] >> 2) & 3;
  if (version === 1 || layer !== 1 || rateIndex === 3) return null;
  const mpeg1 = version === 3;
  const mono = bytes[at + 3] >> 6 === 3;
  const sampleRate = [44100, 48000, 32000][rateIndex] / (mpeg1 ? 1 : version === 2 ? 2 : 4);
  const tag = at + 4 + (mpeg1 ? (mono ? 17 : 32) : mono ? 9 : 17);
  const text = (from, n) => String.fromCharCode(...bytes.subarray(from, from + n));
  if (!["Xing", "Info"].includes(text(tag, 4))) return null;
  const u32 = (p) => (bytes[p] << 24 >>> 0) + (bytes[p + 1] << 16) + (bytes[p + 2] << 8) + bytes[p + 3];
  const flags = u32(tag + 4);
  if (!(flags & 1)) return null;
  const frames = u32(tag + 8);
  const lame = tag + 12 + (flags & 2 ? 4 : 0) + (flags & 4 ? 100 : 0) + (flags & 8 ? 4 : 0);
  // The encoder's name ("LAME", "Lavc"...) opens the extension; without it the delay bytes are something else.
  if (!/^[A-Za-z]{4}$/.test(text(lame, 4))) return null;
  const delay = (bytes[lame + 21] << 4) | (bytes[lame + 22] >> 4);
  const padding = ((bytes[lame + 22] & 0x0f) << 8) | bytes[lame + 23];
  const samples = frames * (mpeg1 ? 1152 : 576) - delay - padding;
  if (samples <= 0) return null;
  return { skip: delay / sampleRate, duration: samples / sampleRate };
}

const playable = (type) => typeof MediaSource !== "undefined" && MediaSource.isTypeSupported(type);

// Where a track's chained bytes come from: the MP3 itself, or the server's fragmented MP4 copy of a FLAC, Opus or
// AAC track (whose length is known before any byte arrives). Null when the track cannot be chained here.
export function chainSource(decision) {
  if (decision?.method === "direct" && decision.content_type === CHAIN_TYPE && playable(CHAIN_TYPE)) {
    return { url: decision.url, type: CHAIN_TYPE, duration: null };
  }
  const remux = decision?.remux;
  if (remux?.url && remux.samples > 0 && remux.sample_rate > 0 && playable(remux.content_type)) {
    return { url: remux.url, type: remux.content_type, duration: remux.samples / remux.sample_rate };
  }
  return null;
}

export const chainable = (decision) => chainSource(decision) !== null;

// How many bytes the header needs: past any ID3v2 tag (cover art can make it large), then the first frame.
function headerLength(bytes) {
  if (bytes.length < 10) return 10;
  if (bytes[0] !== 0x49 || bytes[1] !== 0x44 || bytes[2] !== 0x33) return 600;
  const size = ((bytes[6] & 0x7f) << 21) | ((bytes[7] & 0x7f) << 14) | ((bytes[8] & 0x7f) << 7) | (bytes[9] & 0x7f);
  return 10 + size + (bytes[5] & 0x10 ? 10 : 0) + 600;
}

// A track's stream, read only as far as its header: the bytes read, the reader for the rest, and where its music
// is; or null when it cannot be chained (the caller falls back to the element's own loading).
export async function openTrack(decision) {
  const from = chainSource(decision);
  if (!from) return null;
  const answer = await fetch(from.url, { credentials: "same-origin" });
  if (!answer.ok || !answer.body) { answer.body?.cancel().catch(() => {}); return null; }
  if (from.duration !== null) {
    // The MP4 copy needs no header read: its first bytes (the init segment) are appended like the rest.
    const reader = eager(answer.body.getReader());
    const first = await reader.read();
    if (first.done) { reader.cancel().catch(() => {}); return null; }
    return { head: first.value, reader, skip: 0, duration: from.duration, type: from.type };
  }
  const reader = answer.body.getReader();
  let head = new Uint8Array(0);
  while (head.length < headerLength(head)) {
    const { done, value } = await reader.read();
    if (done) break;
    const joined = new Uint8Array(head.length + value.length);
    joined.set(head);
    joined.set(value, head.length);
    head = joined;
  }
  const cut = mp3Gapless(head);
  if (!cut) { reader.cancel().catch(() => {}); return null; }
  return { head, reader, type: CHAIN_TYPE, ...cut };
}

// The server's copy is a process that gives up on a client that stops reading for 20 s, and a full MediaSource
// holds the chain's reading back for minutes: the copy is read as fast as it comes and kept here until appended.
function eager(reader) {
  const held = [];
  let wake = null;
  let finished = false;
  let failure = null;
  (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || finished) break;
        held.push(value);
        wake?.();
      }
    } catch (err) {
      failure = err;
    }
    finished = true;
    wake?.();
  })();
  return {
    async read() {
      while (!held.length && !finished) await new Promise((resolve) => { wake = resolve; });
      wake = null;
      if (held.length) return { done: false, value: held.shift() };
      if (failure) throw failure;
      return { done: true, value: undefined };
    },
    cancel() {
      finished = true;
      held.length = 0;
      return reader.cancel();
    },
  };
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// One MediaSource on one element. Each appended track starts where the previous one ended, to the microsecond
// the browser keeps, and is trimmed to its exact length by the append window. A SourceBuffer takes one change at
// a time, so changes wait for each other in `queue`. Tracks are appended as they arrive, so the first one plays
// before it has all come.
export class Chain {
  constructor(el) {
    this.el = el;
    this.source = new MediaSource();
    this.url = URL.createObjectURL(this.source);
    this.end = 0;
    this.buffer = null;
    this.type = null;
    this.streams = new Set();
    this.released = false;
    this.queue = new Promise((resolve) => this.source.addEventListener("sourceopen", resolve, { once: true }));
    el.src = this.url;
  }

  // Resolves with the track's start time in the element once its first bytes are buffered; the rest follows.
  append(track) {
    let started;
    const start = new Promise((resolve, reject) => { started = { resolve, reject }; });
    this.serial(async () => {
      // One SourceBuffer, one kind of bytes: a track of the other kind ends the chain (the hand-over follows).
      if (this.type !== null && track.type !== this.type) {
        track.reader.cancel().catch(() => {});
        started.reject(new Error("The track is not of the chain's kind."));
        return;
      }
      if (!this.buffer) {
        this.buffer = this.source.addSourceBuffer(track.type);
        this.type = track.type;
        // audio/mpeg has no timestamps of its own: "sequence" is the only mode it allows. Each MP4 copy starts
        // its own timeline at zero, so it too is placed by the offset, after what is already there.
        this.buffer.mode = "sequence";
      }
      const at = this.end;
      const b = this.buffer;
      b.appendWindowEnd = Infinity;
      b.appendWindowStart = at;
      b.appendWindowEnd = at + track.duration;
      // The encoder's delay falls before the window and is cut, as its padding after the window is.
      b.timestampOffset = at - track.skip;
      // Known ahead of the bytes, so a seek in the track is not held to the part that has arrived.
      if (!(this.source.duration >= at + track.duration)) this.source.duration = at + track.duration;
      const entry = { start: at, reader: track.reader };
      this.streams.add(entry);
      try {
        await this.push(track.head);
        this.end = at + track.duration;
        started.resolve(at);
        for (;;) {
          const { done, value } = await track.reader.read();
          if (done || this.released || !this.streams.has(entry)) break;
          await this.push(value);
        }
      } catch (err) {
        started.reject(err);
        track.reader.cancel().catch(() => {});
        // A track cut short by the network ends the music where its bytes end, rather than stalling there.
        if (this.end > at && this.streams.has(entry)) this.close();
      } finally {
        this.streams.delete(entry);
      }
    }).catch(() => {});
    return start;
  }

  // The browser holds a dozen megabytes of audio: when it is full, what has been played makes room.
  async push(bytes) {
    for (;;) {
      try {
        await this.updated(() => this.buffer.appendBuffer(bytes));
        return;
      } catch (err) {
        if (err?.name !== "QuotaExceededError" || this.released) throw err;
      }
      const played = this.el.currentTime - 5;
      if (played > 0) await this.updated(() => this.buffer.remove(0, played)).catch(() => {});
      await pause(500);
    }
  }

  // Drops what was appended from `at` on (the queue changed after the next track was readied).
  truncate(at) {
    for (const entry of this.streams) {
      if (entry.start >= at) { this.streams.delete(entry); entry.reader.cancel().catch(() => {}); }
    }
    return this.serial(async () => {
      if (!this.buffer || at >= this.end) return;
      await this.updated(() => this.buffer.remove(at, Infinity));
      this.end = at;
    }).catch(() => {});
  }

  // Nothing more follows for now: the element can reach its end and fire `ended`. An append reopens it.
  finish() {
    return this.serial(async () => this.close()).catch(() => {});
  }

  close() {
    if (this.source.readyState === "open" && !this.buffer?.updating) this.source.endOfStream();
  }

  release() {
    this.released = true;
    for (const entry of this.streams) entry.reader.cancel().catch(() => {});
    this.streams.clear();
    URL.revokeObjectURL(this.url);
  }

  serial(change) {
    const run = this.queue.then(change);
    this.queue = run.catch(() => {});
    return run;
  }

  updated(change) {
    return new Promise((resolve, reject) => {
      const b = this.buffer;
      const done = () => { b.removeEventListener("error", failed); resolve(); };
      const failed = () => { b.removeEventListener("updateend", done); reject(new Error("The track could not be appended.")); };
      b.addEventListener("updateend", done, { once: true });
      b.addEventListener("error", failed, { once: true });
      try {
        change();
      } catch (err) {
        b.removeEventListener("updateend", done);
        b.removeEventListener("error", failed);
        reject(err);
      }
    });
  }
}
