"""What the gapless tests watch and hear: every SourceBuffer append, <audio> element, `ended` and title change of
the mini-player, and the music itself, recorded through Web Audio, with the analysis of the join between two
tracks cut from one continuous 440 Hz tone.

The recorder is an AudioWorklet, which runs on the audio thread: a ScriptProcessor (the first recorder) runs on
the page's main thread and lost whole buffers when the machine was loaded, which looked like a phase slip. The
join is judged where it is heard, in the 0.6 s around it, so a hiccup of a loaded machine elsewhere in the
recording cannot fail a test, while a gap, a repeat or a cut at the join still does."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import BrowserContext, Page

# The recorder's module, loaded from a blob: URL. The app's CSP allows only its own scripts, and a worklet's
# fetch passes by Playwright's request routing, so a recording context is made with the CSP bypassed (the app's
# own CSP is held by every other browser test).
WORKLET = """class Heard extends AudioWorkletProcessor {
  constructor() { super(); this.held = new Float32Array(8192); this.n = 0; }
  process(inputs) {
    const input = inputs[0] && inputs[0][0];
    const frames = input ? input.length : 128;
    for (let i = 0; i < frames; i += 1) {
      this.held[this.n] = input ? input[i] : 0;
      this.n += 1;
      if (this.n === this.held.length) { this.port.postMessage(this.held); this.held = new Float32Array(8192); this.n = 0; }
    }
    return true;
  }
}
registerProcessor('heard', Heard);
"""

# Everything the page appends to a SourceBuffer (the window and offset in force, the ranges buffered after it),
# the types of its SourceBuffers, every <audio> it makes and every `ended`, and the element's time whenever the
# bar's title changes. From the first play, the element's output goes through the recorder to the speakers.
RECORD = """(() => {
  window.appends = []; window.audios = []; window.endings = []; window.titles = []; window.bufferTypes = [];
  const add = MediaSource.prototype.addSourceBuffer;
  MediaSource.prototype.addSourceBuffer = function (type) { window.bufferTypes.push(type); return add.call(this, type); };
  const append = SourceBuffer.prototype.appendBuffer;
  SourceBuffer.prototype.appendBuffer = function (data) {
    const entry = { start: this.appendWindowStart, end: this.appendWindowEnd, mode: this.mode, buffered: null };
    window.appends.push(entry);
    this.addEventListener('updateend', () => {
      entry.buffered = Array.from({ length: this.buffered.length }, (_, i) => [this.buffered.start(i), this.buffered.end(i)]);
    }, { once: true });
    try {
      return append.call(this, data);
    } catch (err) {
      window.refused = (window.refused || 0) + (err.name === 'QuotaExceededError' ? 1 : 0);
      throw err;
    }
  };
  const make = Document.prototype.createElement;
  Document.prototype.createElement = function (tag, ...rest) {
    const el = make.call(this, tag, ...rest);
    if (String(tag).toLowerCase() === 'audio') {
      window.audios.push(el);
      el.addEventListener('ended', () => window.endings.push(window.audios.indexOf(el)));
      el.addEventListener('play', () => listen(el));
    }
    return el;
  };
  window.heard = [];
  const listen = (el) => {
    if (window.listening) return;
    const ctx = new AudioContext();
    window.listening = ctx;
    const source = ctx.createMediaElementSource(el);
    const module = URL.createObjectURL(new Blob([WORKLET], { type: 'text/javascript' }));
    ctx.audioWorklet.addModule(module).then(() => {
      const recorder = new AudioWorkletNode(ctx, 'heard', { channelCount: 1, channelCountMode: 'explicit' });
      recorder.port.onmessage = (e) => { window.heard.push(e.data); };
      source.connect(recorder);
      source.connect(ctx.destination);
      recorder.connect(ctx.destination);
      window.heardFrom = el.currentTime;
    });
    ctx.resume();
  };
  new MutationObserver(() => {
    const title = document.querySelector('#mini-player .mp-title')?.textContent;
    const a = document.querySelector('#mini-player audio');
    if (title && a && title !== window.titles.at(-1)?.title) window.titles.push({ title, at: a.currentTime, src: a.src });
  }).observe(document, { subtree: true, childList: true, characterData: true });
})();""".replace("WORKLET", json.dumps(WORKLET))

# Around the join (the element's time `boundary`, found in the recording from the time it began): the longest
# run of near-silent samples, how many upward zero crossings sit more than 3 samples from the line through all of
# them there (their median phase), how many crossings there are; and how many seconds of sound were heard.
HEARD = """(boundary) => {
  const rate = window.listening.sampleRate;
  const all = new Float32Array(window.heard.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of window.heard) { all.set(c, at); at += c.length; }
  const first = all.findIndex((v) => Math.abs(v) > 0.01);
  let last = all.length - 1;
  while (last > first && Math.abs(all[last]) <= 0.01) last -= 1;
  const join = first + Math.round((boundary - window.heardFrom) * rate);
  const from = Math.max(first, join - Math.round(0.3 * rate));
  const to = Math.min(last, join + Math.round(0.3 * rate));
  let run = 0, longest = 0;
  for (let n = from; n <= to; n += 1) { run = Math.abs(all[n]) < 1e-3 ? run + 1 : 0; longest = Math.max(longest, run); }
  const period = rate / 440;
  const ups = [];
  for (let n = from + 1; n <= to; n += 1) {
    if (all[n - 1] < 0 && all[n] >= 0) ups.push(n - 1 + all[n - 1] / (all[n - 1] - all[n]));
  }
  const phase = (x) => ((x % period) + period) % period;
  const phases = ups.map(phase).sort((a, b) => a - b);
  const middle = phases[Math.floor(phases.length / 2)];
  const off = (x) => { const d = Math.abs(phase(x) - middle); return Math.min(d, period - d); };
  return { silentRun: longest, slipped: ups.filter((x) => off(x) > 3).length, crossings: ups.length,
           seconds: (last - first) / rate, judged: (to - from) / rate };
}"""


@dataclass(frozen=True)
class Join:
    silent_run: int  # samples
    slipped: int  # crossings off the tone's phase
    crossings: int
    seconds: float  # of sound heard in all
    judged: float  # seconds around the join that were judged


def recording(context_factory: Callable[..., BrowserContext]) -> BrowserContext:
    """A browser context whose every page is watched and recorded."""
    context = context_factory(bypass_csp=True)
    context.add_init_script(RECORD)
    return context


def wait_heard(page: Page, seconds: float) -> None:
    page.wait_for_function(
        f"() => window.heard.reduce((n, c) => n + c.length, 0) > {seconds} * window.listening.sampleRate"
    )


def heard_join(page: Page, boundary: float) -> Join:
    found = page.evaluate(HEARD, boundary)
    return Join(found["silentRun"], found["slipped"], found["crossings"], found["seconds"], found["judged"])


def assert_one_tone(join: Join, boundary: float) -> None:
    """One unbroken tone across the join: no silent stretch, and every upward zero crossing where one sine puts
    it (a track cut 529 samples short, or a pause between tracks, moves every later one)."""
    assert join.seconds > boundary + 0.3, join
    assert join.judged > 0.55, join
    assert join.silent_run < 8, join
    assert join.crossings > 200 and join.slipped <= 2, join
