// Managed profiles on the home network: pick one, enter its PIN when it has one.
import { get, post } from "/static/api.js";
import { h, field, formError, showErrors, clearErrors } from "/static/dom.js";
import { setTitle, signedIn, refreshLibraries, navigate } from "/static/app.js";

export async function render({ main }) {
  setTitle("Who is watching?");
  main.append(h("h1", {}, "Who is watching?"));
  const profiles = await get("/api/auth/profiles");
  if (!profiles.length) {
    main.append(h("p", {}, "There are no profiles to pick here. ", h("a", { href: "#/signin" }, "Sign in with a username"), "."));
    return;
  }
  const area = h("div", {});
  main.append(h("ul", { class: "grid", "aria-label": "Profiles" }, profiles.map((p) => h("li", {},
    h("button", { type: "button", class: "profile", onclick: () => choose(p) }, p.username)))), area,
  h("p", {}, h("a", { href: "#/signin" }, "Sign in with a username and password instead")));

  async function choose(profile) {
    area.replaceChildren();
    if (!profile.has_pin) { await enter(profile, "", null); return; }
    const form = h("form", { class: "card narrow", novalidate: true }, h("h2", {}, profile.username), formError(),
      field({ name: "pin", label: "PIN", type: "password", attrs: { inputmode: "numeric", autocomplete: "off", maxlength: 16 } }),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Continue")));
    form.addEventListener("submit", (e) => { e.preventDefault(); enter(profile, form.elements.pin.value, form); });
    area.append(form);
    form.elements.pin.focus();
  }

  async function enter(profile, pin, form) {
    if (form) clearErrors(form);
    try {
      const answer = await post("/api/auth/profile", { user_id: profile.id, pin });
      signedIn(answer.user);
      await refreshLibraries();
      navigate("/", { replace: true });
    } catch (err) {
      if (form) showErrors(form, err); else area.replaceChildren(h("p", { class: "form-error", role: "alert" }, err.message));
    }
  }
}
