// Arrow keys, Enter and Back are all a TV remote has: an arrow moves focus to the nearest thing on screen in that
// direction, and Escape or Backspace goes back a page. Pages handle their own keys first (shelves, the player,
// the search suggestions); this listens on the window, so it only sees what they leave.

const DIRECTIONS = { ArrowUp: "up", ArrowDown: "down", ArrowLeft: "left", ArrowRight: "right" };
const FOCUSABLE = 'a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex="-1"])';
// Single-line fields where Up and Down mean nothing to the text, so they can lead out of the field.
const LINE_INPUT = new Set(["text", "search", "email", "url", "tel", "password", "number"]);
// Past a small overlap an element still counts as beyond the edge (borders and focus rings touch).
const SLACK = 4;
// Straight lines win: a step sideways costs this much more than a step in the key's direction.
const ASIDE_WEIGHT = 3;

function candidates(scope = document) {
  return [...scope.querySelectorAll(FOCUSABLE)].filter((el) => {
    if (el.disabled || el.closest("[inert], [hidden]")) return false;
    if (el.matches("input[type=hidden]")) return false;
    const rect = el.getBoundingClientRect();
    // Older TV browsers lack checkVisibility: a box with a size is then taken as shown.
    return rect.width > 0 && rect.height > 0 && (typeof el.checkVisibility !== "function" || el.checkVisibility({ visibilityProperty: true }));
  });
}

// How far `to` lies from `from` in `direction`, or null when it is not that way at all.
function score(from, to, direction) {
  const vertical = direction === "up" || direction === "down";
  const ahead = {
    up: from.top - to.bottom, down: to.top - from.bottom, left: from.left - to.right, right: to.left - from.right,
  }[direction];
  if (ahead < -SLACK) return null;
  const aside = vertical
    ? Math.max(0, to.left - from.right, from.left - to.right)
    : Math.max(0, to.top - from.bottom, from.top - to.bottom);
  return Math.max(0, ahead) + ASIDE_WEIGHT * aside;
}

export function nearest(origin, direction, scope = document) {
  const from = origin.getBoundingClientRect();
  let best = null;
  let bestScore = Infinity;
  for (const el of candidates(scope)) {
    if (el === origin || el.contains(origin) || origin.contains(el)) continue;
    const s = score(from, el.getBoundingClientRect(), direction);
    if (s !== null && s < bestScore) { best = el; bestScore = s; }
  }
  return best;
}

// Keys a field keeps for itself: typing and caret movement in text, values in sliders, the player's own keys.
function fieldKeepsKey(el, direction) {
  if (el.closest("textarea, [contenteditable]:not([contenteditable=false]), video, audio")) return true;
  if (!(el instanceof HTMLInputElement)) return false;
  // A slider's value goes left and right; Up and Down lead out of it, so a remote never gets stuck on one.
  if (el.type === "range") return direction === "left" || direction === "right";
  if (el.type === "radio") return true;
  if (!LINE_INPUT.has(el.type)) return false;
  if (direction === "up" || direction === "down") return false;
  // Left and Right move the caret until it reaches the end it points at; number fields do not say where it is.
  if (el.selectionStart === null) return true;
  const atStart = el.selectionStart === 0 && el.selectionEnd === 0;
  const atEnd = el.selectionStart === el.value.length;
  return direction === "left" ? !atStart : !atEnd;
}

function isTyping(el) {
  return Boolean(el.closest("input:not([type=checkbox]):not([type=radio]):not([type=range]):not([type=button]):not([type=submit]), textarea, select, [contenteditable]:not([contenteditable=false])"));
}

function canGoBack() {
  const nav = window.navigation;
  return nav && "canGoBack" in nav ? nav.canGoBack : history.length > 1;
}

function onKey(event) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) return;
  const target = event.target instanceof Element ? event.target : document.body;
  // In an open dialog the arrows stay inside it, and Escape is the dialog's own (it closes).
  const dialog = target.closest("dialog[open]");
  if (event.key === "Escape" || event.key === "Backspace") {
    if (dialog || isTyping(target) || !canGoBack()) return;
    event.preventDefault();
    history.back();
    return;
  }
  // A closed list box acts like a button on a remote: arrows pass it by, Enter opens it.
  if (event.key === "Enter" && target instanceof HTMLSelectElement && typeof target.showPicker === "function") {
    event.preventDefault();
    try { target.showPicker(); } catch { /* no picker without a user gesture; Space still opens it */ }
    return;
  }
  const direction = DIRECTIONS[event.key];
  if (!direction || fieldKeepsKey(target, direction)) return;
  // Focus on the page itself (nothing chosen yet): the first thing in the page's content.
  const origin = target.matches("body, html, main") ? null : target;
  const next = origin ? nearest(origin, direction, dialog || document) : candidates().find((el) => el.closest("main")) || candidates()[0];
  // Nothing further that way: the arrow scrolls as it always did, to text below the last link.
  if (!next) return;
  event.preventDefault();
  next.focus({ preventScroll: true, focusVisible: true });
  next.scrollIntoView({ block: "nearest", inline: "nearest" });
}

window.addEventListener("keydown", onKey);
