// The 10-foot layout (`:root.tv` in app.css) for a television: its browser names itself in the user agent, or
// the screen is 1080p or larger with no mouse or trackpad at all (a remote is not a pointer). A desktop at the
// same size keeps its mouse, so it keeps the desktop layout; a phone is never that wide. The account page can
// force the layout either way for a set that hides what it is; that choice stays in this browser only.
const TV_AGENT = /\b(SMART-?TV|Tizen|Web0S|webOS|HbbTV|BRAVIA|NetCast|GoogleTV|Android ?TV|AFT[A-Z]+|CrKey|Roku|VIDAA)\b/i;
const BIG_WITHOUT_MOUSE = "(min-width: 1900px) and (min-height: 1000px) and (not (any-pointer: fine))";
const KEY = "reelhouse.tv-layout";

// "on", "off" or null (decide by the screen).
export function chosen() {
  try {
    const value = localStorage.getItem(KEY);
    return value === "on" || value === "off" ? value : null;
  } catch {
    return null; // storage refused (private window): detection alone decides
  }
}

export function isTv() {
  return document.documentElement.classList.contains("tv");
}

function apply() {
  const choice = chosen();
  const tv = choice ? choice === "on" : TV_AGENT.test(navigator.userAgent) || matchMedia(BIG_WITHOUT_MOUSE).matches;
  document.documentElement.classList.toggle("tv", tv);
}

export function choose(value) {
  try {
    if (value) localStorage.setItem(KEY, value);
    else localStorage.removeItem(KEY);
  } catch { /* nothing to remember it in; this page still follows the choice */ }
  apply();
}

apply();
// A window moved to the television, or a mouse plugged in, changes the answer.
matchMedia(BIG_WITHOUT_MOUSE).addEventListener("change", apply);
