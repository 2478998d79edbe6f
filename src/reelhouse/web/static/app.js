// The app shell: who is signed in, the hash router, the top navigation and focus on every page change.
import { api, get, post, ApiError, forgetRoutes } from "/static/api.js";
import { h, clear, sentence } from "/static/dom.js";
// Arrow keys move focus and Escape goes back, for TV remotes; pages' own keys come first.
import "/static/spatial-nav.js";
// Sets the 10-foot layout on a television before the first page draws.
import "/static/tv-mode.js";

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const top = document.getElementById("top");
const status = document.getElementById("status");

// Each route: a pattern over the hash path, the view module, and whether it needs a signed-in user.
const ROUTES = [
  ["/setup", "/static/view-setup.js", false],
  ["/signin", "/static/view-signin.js", false],
  ["/invite", "/static/view-invite.js", false],
  ["/profiles", "/static/view-profiles.js", false],
  ["/", "/static/view-home.js", true],
  ["/library/:id", "/static/view-library.js", true],
  ["/item/:id", "/static/view-item.js", true],
  ["/person/:id", "/static/view-person.js", true],
  ["/collection/:id", "/static/view-collection.js", true],
  ["/search", "/static/view-search.js", true],
  ["/play/:id", "/static/view-player.js", true],
  ["/playlists", "/static/view-playlists.js", true],
  ["/playlist/:id", "/static/view-playlist.js", true],
  ["/photo/:id", "/static/view-photo.js", true],
  ["/account", "/static/view-account.js", true],
  ["/authorize", "/static/view-authorize.js", true],
  ["/servers", "/static/view-servers.js", true],
  ["/servers/:id/settings", "/static/view-server-settings.js", true],
  ["/settings/:section", "/static/view-settings.js", true],
];

export const session = { me: null, libraries: [], setup: null };
let cleanup = null;
let renderSeq = 0;

function parseHash() {
  // Invitation links are /invite#CODE: the code stays in the fragment, so it is never sent to a server or proxy.
  if (location.pathname === "/invite") {
    return { path: "/invite", query: new URLSearchParams({ code: location.hash.replace(/^#/, "") }) };
  }
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, qs = ""] = raw.split("?");
  return { path: path || "/", query: new URLSearchParams(qs) };
}

function match(path) {
  const parts = path.split("/").filter(Boolean);
  for (const [pattern, module, auth] of ROUTES) {
    const pp = pattern.split("/").filter(Boolean);
    if (pp.length !== parts.length) continue;
    const params = {};
    if (pp.every((p, i) => (p.startsWith(":") ? ((params[p.slice(1)] = decodeURIComponent(parts[i])), true) : p === parts[i]))) {
      return { module, auth, params };
    }
  }
  return null;
}

export function navigate(path, { replace = false } = {}) {
  if (location.pathname !== "/") {
    // Leaving /invite: back to the one page the app lives on, without reloading it.
    history.replaceState(null, "", `/#${path}`);
    render();
    return;
  }
  const target = `#${path}`;
  if (location.hash === target) { render(); return; }
  if (replace) { history.replaceState(null, "", target); render(); } else location.hash = target;
}

export function announce(message) {
  status.textContent = "";
  // A fresh text node makes screen readers speak the same message twice if it repeats.
  requestAnimationFrame(() => { status.textContent = sentence(message); });
  clearTimeout(announceTimer);
  announceTimer = setTimeout(() => { status.textContent = ""; }, 6000);
}
let announceTimer = null;

export function setTitle(text) {
  document.title = text ? `${text} · Reelhouse` : "Reelhouse";
}

async function loadSession() {
  // Asked once per page load: signing in, out and setting up update `session` themselves.
  if (session.setup !== null) return;
  // One public request says the setup state, who is signed in and their libraries: a signed-out visitor's
  // browser logs no 401 for asking.
  const { user, libraries, ...setup } = await get("/api/session");
  session.setup = setup;
  if (setup.needs_setup) return;
  session.me = user;
  session.libraries = libraries;
}

export async function refreshLibraries() {
  session.libraries = await get("/api/libraries");
  drawNav();
}

export function signedIn(user) {
  session.me = user;
  session.setup = { ...(session.setup || {}), needs_setup: false };
  forgetRoutes();
}

export async function signOut() {
  stopMusic();
  try { await post("/api/auth/logout"); } catch { /* already signed out is fine */ }
  session.me = null;
  session.libraries = [];
  forgetRoutes();
  navigate("/signin");
}

const menuToggle = document.getElementById("menu-toggle");

// Phones: the libraries are a drawer and the account links a menu; each opens from its button and closes on
// Escape, on a click elsewhere, and on any page change. From 800 px wide both are simply always shown.
function setOpen(button, open) {
  button.setAttribute("aria-expanded", String(open));
  top.classList.toggle(button === menuToggle ? "drawer-open" : "account-open", open);
}

function closeMenus() {
  setOpen(menuToggle, false);
  const account = document.getElementById("account-toggle");
  if (account) setOpen(account, false);
}

function drawNav() {
  clear(nav);
  closeMenus();
  if (!session.me) { top.hidden = true; document.body.classList.remove("has-side"); return; }
  top.hidden = false;
  document.body.classList.add("has-side");
  const here = parseHash().path;
  const link = (href, text, attrs = {}) => h("a", { href: `#${href}`, "aria-current": here === href ? "page" : null, ...attrs }, text);
  const admin = ["owner", "admin"].includes(session.me.role);
  const accountToggle = h("button", { type: "button", class: "account-toggle", id: "account-toggle", "aria-expanded": "false",
    "aria-controls": "account-menu", title: session.me.username },
  h("span", { class: "visually-hidden" }, "Account menu for "), h("span", { class: "who" }, session.me.username));
  accountToggle.addEventListener("click", () => setOpen(accountToggle, accountToggle.getAttribute("aria-expanded") !== "true"));
  nav.append(
    h("div", { class: "side-nav", id: "side-nav" },
      h("ul", { "aria-label": "Libraries" },
        h("li", {}, link("/", "Home")),
        h("li", {}, link("/playlists", "Playlists")),
        session.libraries.map((lib) => h("li", {}, link(`/library/${lib.id}`, lib.name, { title: lib.name }))))),
    h("div", { class: "account" },
      accountToggle,
      h("ul", { class: "account-menu", id: "account-menu" },
        admin ? h("li", {}, link("/servers", "Servers")) : null,
        admin ? h("li", {}, link("/settings/general", "Settings")) : null,
        h("li", {}, link("/account", session.me.username)),
        h("li", {}, h("button", { type: "button", class: "link", onclick: signOut }, "Sign out")))));
  if (!admin) serverSwitch(document.getElementById("account-menu"));
}

// The friend's server switcher: the linked servers this server shares with them, each opening its own sign-in
// page, where "Sign in with <this server>" signs them in. Admins reach every linked server from Servers instead.
async function serverSwitch(menu) {
  let listed;
  try { listed = await get("/api/servers"); } catch { return; }
  const others = listed.servers.filter((s) => !s.this && s.web_url);
  if (!others.length || !menu.isConnected) return;
  const here = h("li", { class: "server-switch current" }, h("span", { "aria-current": "true" }, listed.servers[0].name));
  menu.prepend(here, ...others.map((s) => h("li", { class: "server-switch" },
    h("a", { href: `${s.web_url}/#/signin`, "aria-label": `Switch to ${s.name}` }, s.name))));
}

menuToggle.addEventListener("click", () => {
  const open = menuToggle.getAttribute("aria-expanded") !== "true";
  setOpen(menuToggle, open);
  // Keyboard and remote users land in the drawer they opened, on the page they are on.
  if (open) (nav.querySelector('#side-nav a[aria-current="page"]') || nav.querySelector("#side-nav a"))?.focus();
});
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || !top.matches(".drawer-open, .account-open")) return;
  const opener = top.classList.contains("drawer-open") ? menuToggle : document.getElementById("account-toggle");
  closeMenus();
  opener?.focus();
  // Closing the menu is all this Escape does: it does not also go back a page.
  event.preventDefault();
});
document.addEventListener("click", (event) => {
  if (!top.matches(".drawer-open, .account-open")) return;
  if (event.target.closest("#menu-toggle, #account-toggle")) return;
  // A click on a link inside lets the page change close them; anywhere else closes them now.
  if (!event.target.closest("#side-nav a, #account-menu a")) closeMenus();
});

async function render() {
  const seq = ++renderSeq;
  const focusAtStart = document.activeElement;
  if (cleanup) { try { cleanup(); } catch { /* a view's teardown must not block the next page */ } cleanup = null; }
  const { path, query } = parseHash();
  let found = match(path);
  // The page's module loads while the session does.
  const loading = import(found ? found.module : "/static/view-missing.js").catch(() => null);
  try {
    await loadSession();
  } catch (err) {
    showFatal(err);
    return;
  }
  if (seq !== renderSeq) return;
  if (session.setup.needs_setup && path !== "/setup") { navigate("/setup", { replace: true }); return; }
  if (!found) found = { module: "/static/view-missing.js", auth: true, params: {} };
  if (found.auth && !session.me) {
    const back = path === "/" ? "" : `?next=${encodeURIComponent(path + (query.toString() ? `?${query}` : ""))}`;
    navigate(`/signin${back}`, { replace: true });
    return;
  }
  drawNav();
  startMusic();
  const view = await loading;
  if (!view) {
    showFatal(new Error("This page could not be loaded; reload to try again."));
    return;
  }
  if (seq !== renderSeq) return;
  clear(main);
  main.removeAttribute("aria-busy");
  try {
    const done = await view.render({ main, params: found.params, query, session, navigate });
    if (seq !== renderSeq) { if (typeof done === "function") done(); return; }
    cleanup = typeof done === "function" ? done : null;
  } catch (err) {
    if (seq !== renderSeq) return;
    if (err instanceof ApiError && err.status === 401) return;
    showFatal(err);
    return;
  }
  // The benchmark reads this mark: the moment a page's content is in the document.
  performance.mark("reelhouse:rendered");
  // Move focus to the new page's heading so keyboard and screen-reader users start at the top; but not from
  // the search box, where someone typing while the page came would lose what they type next, nor from anything
  // outside the page (a drawer or menu opened, the mini-player) that the user moved to while the page loaded.
  const heading = main.querySelector("h1");
  const active = document.activeElement;
  const movedAway = active && active !== document.body && active !== focusAtStart && !main.contains(active);
  const busyElsewhere = active?.id === "search-q" || movedAway || top.matches(".drawer-open, .account-open");
  if (heading && !busyElsewhere) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
  window.scrollTo(0, 0);
}

// The mini-player sits beside the page container from the first signed-in page on, so music outlives pages; a
// queue saved before a reload comes back (checked again by the server) without playing by itself.
let music = null;
function startMusic() {
  if (music || !session.me) return;
  music = import("/static/mini-player.js").then((bar) => { bar.mount(); return import("/static/music.js"); })
    .then((m) => { m.restore(); return m; })
    .catch(() => { music = null; return null; });
}

// Nothing of the last user's listening plays or stays for the next one to see.
function stopMusic() {
  if (music) music.then((m) => m?.stop()).catch(() => {});
}

function showFatal(err) {
  clear(main);
  const message = err instanceof ApiError || err.message ? sentence(err.message) : "Something went wrong.";
  main.append(h("h1", {}, err.status === 404 ? "Not found" : "Something went wrong"), h("p", { class: "form-error", role: "alert" }, message),
    h("p", {}, h("a", { href: "#/" }, "Go to the home page")));
}

window.addEventListener("hashchange", render);
window.addEventListener("reelhouse:signed-out", () => {
  if (!session.me) return;
  session.me = null;
  stopMusic();
  announce("Your session has ended; sign in again.");
  navigate("/signin");
});
document.getElementById("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const q = document.getElementById("search-q").value.trim();
  if (q) navigate(`/search?q=${encodeURIComponent(q)}`);
});

render();

export { api };
