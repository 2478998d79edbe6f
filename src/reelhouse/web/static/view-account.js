// The account page: who you are, and (as the server offers them) password, two-factor, sessions, tokens and
// music apps' keys.
import { has } from "/static/api.js";
import { h } from "/static/dom.js";
import { setTitle, signOut, session as app } from "/static/app.js";
import { chosen, choose } from "/static/tv-mode.js";

// The 10-foot layout is chosen per screen (a television that hides what it is), so it is kept in this browser.
function screenLayout() {
  const select = h("select", { id: "screen-layout" },
    h("option", { value: "" }, "Automatic"), h("option", { value: "on" }, "TV (10-foot)"), h("option", { value: "off" }, "Desktop and phone"));
  select.value = chosen() || "";
  select.addEventListener("change", () => choose(select.value || null));
  return h("section", { class: "card", "aria-labelledby": "h-screen" }, h("h2", { id: "h-screen" }, "This screen"),
    h("div", { class: "field" }, h("label", { for: "screen-layout" }, "Layout"), select),
    h("p", { class: "muted" }, "Kept in this browser only."));
}

export async function render({ main }) {
  setTitle("Account");
  main.append(h("h1", {}, "Account"),
    h("section", { class: "card", "aria-labelledby": "h-profile" }, h("h2", { id: "h-profile" }, "Profile"),
      h("dl", {}, h("dt", {}, "Username"), h("dd", {}, app.me.username), h("dt", {}, "Role"), h("dd", {}, app.me.role)),
      h("button", { type: "button", onclick: signOut }, "Sign out")),
    screenLayout());
  const mod = await import("/static/account-security.js");
  await mod.render(main, has);
  if (await has("POST", "/api/account/music-apps")) main.append(await (await import("/static/account-music-apps.js")).render());
}
