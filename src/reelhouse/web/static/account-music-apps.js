// Music apps (Subsonic's): a key or an app password for each app, shown once with the address to type, listed
// and revoked here as well as with the other sessions. The account's own password never works in those apps.
import { get, post, del } from "/static/api.js";
import { h, field, formError, showErrors, clearErrors, formatDate } from "/static/dom.js";
import { announce, session as app } from "/static/app.js";

const KINDS = { music_key: "App key", music_password: "App password" };

// What a person types into the app: this server's address alone, since Subsonic apps add /rest themselves.
function serverAddress() {
  return `${location.origin}${location.pathname.replace(/\/+$/, "")}`;
}

export async function render() {
  const section = h("section", { class: "card", "aria-labelledby": "h-music-apps" });
  const shown = h("div", {});
  const list = h("div", {});
  const draw = async () => {
    const apps = (await get("/api/account/sessions")).filter((s) => s.kind in KINDS);
    list.replaceChildren(apps.length === 0 ? h("p", {}, "No music app has a key or app password yet.") :
      h("div", { class: "table-wrap" }, h("table", { "aria-label": "Music apps" },
        h("thead", {}, h("tr", {}, ["App", "Kind", "Last used", ""].map((t) => h("th", { scope: "col" }, t || h("span", { class: "visually-hidden" }, "Actions"))))),
        h("tbody", {}, apps.map((s) => h("tr", { dataset: { session: s.id } },
          h("td", {}, s.name), h("td", {}, KINDS[s.kind]), h("td", {}, formatDate(s.last_seen_at)),
          h("td", {}, h("button", { type: "button", class: "danger", "aria-label": `Revoke ${s.name}`, onclick: async () => {
            try {
              await del(`/api/account/sessions/${encodeURIComponent(s.id)}`);
              shown.replaceChildren();
              announce(`${s.name} can no longer sign in.`);
              await draw();
            } catch (err) { announce(err.message); }
          } }, "Revoke"))))))));
  };
  const form = h("form", { novalidate: true, "aria-label": "New music app key" }, formError(),
    field({ name: "name", label: "App name", help: "Which app on which device, for example “Symfonium on my phone”.", attrs: { maxlength: 128, autocomplete: "off" } }),
    h("fieldset", { class: "field", dataset: { field: "kind" } }, h("legend", {}, "The app signs in with"),
      [["key", "An app key (apps that offer “API key”)"], ["password", "An app password (older apps that ask for a username and password)"]].map(([v, t]) =>
        h("div", { class: "radio" }, h("input", { type: "radio", id: `music-kind-${v}`, name: "kind", value: v, checked: v === "key" }), h("label", { for: `music-kind-${v}` }, t))),
      h("p", { class: "error", hidden: true })),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const kind = form.querySelector("input[name=kind]:checked").value;
    try {
      const made = await post("/api/account/music-apps", { name: form.elements.name.value.trim(), kind });
      form.reset();
      shown.replaceChildren(h("div", { class: "card", role: "status" },
        h("p", {}, "Type these into the app now; the ", kind === "key" ? "key" : "app password", " is shown only once."),
        h("dl", {},
          h("dt", {}, "Server address"), h("dd", {}, h("code", { class: "secret", dataset: { copy: "address" } }, serverAddress())),
          kind === "password" ? [h("dt", {}, "Username"), h("dd", {}, h("code", { dataset: { copy: "username" } }, app.me.username))] : null,
          h("dt", {}, kind === "key" ? "App key" : "App password"),
          h("dd", {}, h("code", { class: "secret", tabindex: 0, dataset: { copy: "secret" } }, made.secret)))));
      await draw();
      shown.querySelector("[data-copy=secret]").focus();
    } catch (err) { showErrors(form, err); }
  });
  section.append(h("h2", { id: "h-music-apps" }, "Music apps"),
    h("p", {}, "Subsonic music apps (Symfonium, Feishin, Substreamer, DSub and others) sign in with a key or app password of their own, made here for each app; they reach your music and nothing else, and revoking one signs that app out."),
    form, shown, list);
  await draw();
  return section;
}
