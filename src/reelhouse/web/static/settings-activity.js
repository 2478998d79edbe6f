// Activity: the transcodes running on this server now, as GET /api/transcodes lists them (admins only), read
// again every few seconds while the page is open. The API never says who watches what, so neither does this page.
import { get } from "/static/api.js";
import { h } from "/static/dom.js";

// Often enough to see a session start, fall back or end; rare enough that an open tab costs the server nothing.
const REFRESH_MS = 3000;

export async function render({ main }) {
  const status = h("p", { class: "form-error", role: "alert", hidden: true });
  const body = h("div", { id: "activity-transcodes" });
  main.append(
    h("p", {}, "The transcodes running on this server now, with the profile each one makes and where its encoder runs. This list updates every few seconds. It never shows who watches what."),
    status, body);
  let shown = null;
  let stopped = false;
  const draw = async () => {
    let listed;
    try { listed = await get("/api/transcodes"); } catch (err) {
      status.textContent = `The list could not be updated: ${err.message}`;
      status.hidden = false;
      return;
    }
    status.hidden = true;
    // Redrawn only when something changed, so a reader's place in the table is kept between updates.
    const key = JSON.stringify(listed);
    if (stopped || key === shown) return;
    shown = key;
    body.replaceChildren(listed.length ? table(listed) : h("p", { class: "muted" }, "Nothing is being transcoded right now."));
  };
  await draw();
  const timer = setInterval(draw, REFRESH_MS);
  return () => { stopped = true; clearInterval(timer); };
}

function table(listed) {
  return h("div", { class: "table-wrap" }, h("table", { class: "transcodes" },
    h("caption", { class: "visually-hidden" }, "Running transcodes"),
    h("thead", {}, h("tr", {}, ["Session", "Profile", "Runs on", "Queue", "Fallback"].map((t) => h("th", { scope: "col" }, t)))),
    h("tbody", {}, listed.map((t) => h("tr", { dataset: { session: t.session_id } },
      h("td", {}, h("code", {}, t.session_id.slice(0, 8))),
      h("td", {}, profile(t.profile)),
      h("td", {}, where(t)),
      h("td", {}, t.queue ? t.queue.toUpperCase() : "None"),
      h("td", {}, t.fallback || "None"))))));
}

function profile(p) {
  const video = p.video === "copy" ? "Video copied" : `H.264${p.height ? ` ${p.height}p` : ""}${p.video_kbps ? ` at ${kbps(p.video_kbps)}` : ""}`;
  const audio = p.audio === "copy" ? "audio copied" : `${p.audio.toUpperCase()}${p.audio_kbps ? ` at ${kbps(p.audio_kbps)}` : ""}`;
  return `${video}, ${audio}`;
}

function kbps(value) {
  return `${value.toLocaleString("en")} kbit/s`;
}

function where(t) {
  if (t.encoder === "local") return "This server's ffmpeg";
  return t.worker ? `Worker ${t.worker}` : "Waiting for a worker to take the job";
}
