// The grants editor: which libraries and what else a user, an invitation or a new profile may do.
import { h, field, formatDate } from "/static/dom.js";

let seq = 0;
// Age ranks the server compares ratings by (domain/ratings.py); one cap applies to films, shows and home videos.
const RATING_CAPS = [["", "No limit"], [0, "G, U, TV-G (all ages)"], [7, "TV-Y7 (7+)"], [10, "PG, TV-PG (10+)"],
  [12, "12, 12A (12+)"], [13, "PG-13 (13+)"], [15, "15, M, MA15+ (15+)"], [17, "R, TV-MA (17+)"]];
const RATED_KINDS = ["movies", "shows", "home_videos"];
const KIND_NAMES = { movies: "films", shows: "shows", home_videos: "home videos", music: "music", photos: "photos" };
// Shown when the stored caps differ by library kind (set through the API), so saving does not flatten them.
const KEEP = "keep";

// "kids, Horror ,kids" → ["kids", "Horror"]; the server matches labels exactly, capitals included.
export function parseLabels(text) {
  const out = [];
  for (const part of String(text).split(/[,\n]/)) {
    const label = part.trim();
    if (label && !out.includes(label)) out.push(label);
  }
  return out;
}

// The end date is the last whole day of access in the browser's time zone: the account ends at the next
// local midnight. A stored time that is not a midnight (set through the API) still shows as its own day.
export function endDateValue(expiresAt) {
  if (expiresAt === null || expiresAt === undefined) return "";
  const day = new Date(expiresAt * 1000 - 1);
  const pad = (n) => String(n).padStart(2, "0");
  return `${day.getFullYear()}-${pad(day.getMonth() + 1)}-${pad(day.getDate())}`;
}

// "the end of 28/12/2026" when the account ends at a local midnight, as the editor sets it; else the exact time.
export function describeEnd(expiresAt) {
  const at = new Date(expiresAt * 1000);
  if (at.getHours() || at.getMinutes() || at.getSeconds() || at.getMilliseconds()) return formatDate(expiresAt);
  return `the end of ${new Date(expiresAt * 1000 - 1).toLocaleDateString()}`;
}

export function endDateTime(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return NaN;
  // The local Date constructor rolls day + 1 into the next month and follows daylight-saving changes.
  return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + 1).getTime() / 1000;
}

function ratingField(grants) {
  const caps = grants.max_rating || {};
  const kinds = Object.keys(caps);
  const values = RATED_KINDS.map((kind) => caps[kind]);
  const uniform = kinds.every((k) => RATED_KINDS.includes(k)) && values.every((v) => v === values[0]);
  const options = [...RATING_CAPS];
  let value = uniform && values[0] !== undefined ? values[0] : "";
  if (!uniform) {
    const label = (rank) => (RATING_CAPS.find(([r]) => r === rank) || [rank, `rank ${rank}`])[1].split(" (")[0];
    const now = kinds.map((k) => `${KIND_NAMES[k] || k} ${label(caps[k])}`).join("; ");
    options.unshift([KEEP, `Keep as set now (${now})`]);
    value = KEEP;
  }
  return field({ name: "max_rating", label: "Highest content rating", type: "select", options, value,
    help: "Films, shows and home videos rated above it are hidden." });
}

function labelsHelp(labels) {
  if (!labels) return "";
  return labels.length ? `Labels on titles in your libraries: ${labels.join(", ")}.`
    : "No title in your libraries has a label yet; labels come from the tag entries of .nfo files.";
}

// With `choose`, neither "all" nor "only these" is ticked at first: a new invitation or profile shares nothing
// until the owner picks, the same rule the server and the CLI apply.
export function grantsFields(libraries, grants = {}, { labels = null, choose = false } = {}) {
  const id = ++seq;
  const all = grants.libraries === undefined || grants.libraries === null || grants.libraries === "all";
  const chosen = new Set(Array.isArray(grants.libraries) ? grants.libraries : []);
  const allBox = h("input", { type: "radio", name: `libs-${id}`, id: `libs-all-${id}`, value: "all", checked: all && !choose });
  const someBox = h("input", { type: "radio", name: `libs-${id}`, id: `libs-some-${id}`, value: "some", checked: !all && !choose });
  const boxes = libraries.map((lib) => h("div", { class: "radio" },
    h("input", { type: "checkbox", id: `lib-${id}-${lib.id}`, value: lib.id, class: "lib-choice", checked: chosen.has(lib.id) }),
    h("label", { for: `lib-${id}-${lib.id}` }, lib.name)));
  const check = (name, label, value, help = "") => field({ name, label, type: "checkbox", value, help });
  const endsAt = endDateValue(grants.expires_at);
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "your time zone";
  const endHelp = `The last day they may use the account; it ends at midnight at the end of that day (${zone}). Empty means it never ends.`
    + (grants.expires_at ? ` Now: until ${describeEnd(grants.expires_at)}.` : "");
  const known = labelsHelp(labels);
  const el = h("div", { class: "grants" },
    h("fieldset", { class: "field", dataset: { field: "libraries" } }, h("legend", {}, "Libraries"),
      h("div", { class: "radio" }, allBox, h("label", { for: `libs-all-${id}` }, "All libraries, including ones added later")),
      h("div", { class: "radio" }, someBox, h("label", { for: `libs-some-${id}` }, "Only these:")),
      h("div", { class: "indent" }, boxes),
      h("p", { class: "error", hidden: true })),
    ratingField(grants),
    check("hide_unrated", "Hide titles without a content rating", grants.hide_unrated ?? false),
    field({ name: "allowed_labels", label: "Show only titles with these labels", value: (grants.allowed_labels || []).join(", "),
      help: `Separate labels with commas. When any are given, only titles carrying at least one of them are shown; empty shows titles whatever their labels. Labels must match exactly, capitals included. ${known}`.trim(),
      attrs: { spellcheck: "false", autocomplete: "off" } }),
    field({ name: "blocked_labels", label: "Hide titles with these labels", value: (grants.blocked_labels || []).join(", "),
      help: "Separate labels with commas. A title carrying any of them is hidden, even when the labels above would show it.",
      attrs: { spellcheck: "false", autocomplete: "off" } }),
    check("may_download", "May download files", grants.may_download ?? false),
    check("may_transcode", "May have videos converted for their device", grants.may_transcode ?? true),
    check("may_see_location", "May see where photos were taken", grants.may_see_location ?? false),
    check("may_connect_remotely", "May connect from outside the home network", grants.may_connect_remotely ?? true),
    field({ name: "max_bitrate_kbps", label: "Bitrate limit (kbit/s)", type: "number", value: grants.max_bitrate_kbps ?? "", help: "Empty means no limit.", attrs: { min: 0 } }),
    field({ name: "max_streams", label: "Streams at the same time", type: "number", value: grants.max_streams ?? "",
      help: "How many videos they may play at once. Empty means no limit.", attrs: { min: 0, inputmode: "numeric" } }),
    field({ name: "expires_at", label: "Account ends after", type: "date", value: endsAt, help: endHelp }));
  el.addEventListener("change", (event) => { if (event.target.classList.contains("lib-choice") && event.target.checked) someBox.checked = true; });
  const input = (name) => el.querySelector(`[name=${name}]`);
  const number = (name) => {
    const text = input(name).value.trim();
    // A number input whose text is not a number reads as ""; badInput tells that apart from empty.
    if (text === "" && input(name).validity.badInput) return NaN;
    return text === "" ? null : Number(text);
  };

  // Problems the browser can see before asking the server, by field name, in the API's shape.
  el.problems = () => {
    const found = {};
    if (choose && !allBox.checked && !el.querySelector(".lib-choice:checked")) {
      found.libraries = someBox.checked ? "Tick at least one library to share, or choose all of them."
        : "Choose the libraries to share: all of them, or only the ones you tick.";
    }
    for (const name of ["max_bitrate_kbps", "max_streams"]) {
      const value = number(name);
      // NaN would travel as null and silently lift the limit; the server checks everything else.
      if (Number.isNaN(value)) found[name] = "must be a whole number, 0 or more";
    }
    const end = input("expires_at");
    if (end.value !== endsAt || end.validity.badInput) {
      const at = endDateTime(end.value);
      if (end.validity.badInput || (end.value && isNaN(at))) found.expires_at = "Enter a whole date: day, month and year.";
      else if (end.value && at <= Date.now() / 1000) {
        found.expires_at = "That day has passed; choose today or a later day, or tick Disabled to stop the account now.";
      }
    }
    return found;
  };

  // The grants to send; a field the editor cannot show faithfully is left out, so the server keeps it.
  el.read = () => {
    const out = {
      libraries: allBox.checked ? "all" : [...el.querySelectorAll(".lib-choice:checked")].map((b) => b.value),
      hide_unrated: input("hide_unrated").checked,
      may_download: input("may_download").checked,
      may_transcode: input("may_transcode").checked,
      may_see_location: input("may_see_location").checked,
      may_connect_remotely: input("may_connect_remotely").checked,
      max_bitrate_kbps: number("max_bitrate_kbps"),
      max_streams: number("max_streams"),
    };
    for (const name of ["allowed_labels", "blocked_labels"]) {
      const list = parseLabels(input(name).value);
      out[name] = list.length ? list : null;
    }
    const cap = input("max_rating").value;
    if (cap !== KEEP) out.max_rating = cap === "" ? null : Object.fromEntries(RATED_KINDS.map((kind) => [kind, Number(cap)]));
    const end = input("expires_at").value;
    if (end !== endsAt || !end) out.expires_at = end ? endDateTime(end) : null;
    return out;
  };
  return el;
}
