// The account page: who you are, and (as the server offers them) password, two-factor, sessions, tokens and
// music apps' keys.
import { has } from "/static/api.js";
import { h } from "/static/dom.js";
import { setTitle, signOut, session as app } from "/static/app.js";

export async function render({ main }) {
  setTitle("Account");
  main.append(h("h1", {}, "Account"),
    h("section", { class: "card", "aria-labelledby": "h-profile" }, h("h2", { id: "h-profile" }, "Profile"),
      h("dl", {}, h("dt", {}, "Username"), h("dd", {}, app.me.username), h("dt", {}, "Role"), h("dd", {}, app.me.role)),
      h("button", { type: "button", onclick: signOut }, "Sign out")));
  const mod = await import("/static/account-security.js");
  await mod.render(main, has);
  if (await has("POST", "/api/account/music-apps")) main.append(await (await import("/static/account-music-apps.js")).render());
}
