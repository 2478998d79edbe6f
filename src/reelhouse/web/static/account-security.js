// Password, two-factor, sessions and API tokens: drawn only for the routes this server has.
import { get, post, del } from "/static/api.js";
import { h, field, formError, showErrors, clearErrors, formValues, formatDate } from "/static/dom.js";
import { announce, navigate, session as app } from "/static/app.js";

export async function render(main, has) {
  if (await has("GET", "/api/account")) main.append(await twoFactor());
  if (await has("POST", "/api/account/password")) main.append(passwordForm());
  if (await has("POST", "/api/account/quick-connect")) main.append(quickConnect());
  if (await has("GET", "/api/account/sessions")) main.append(await sessions(await has("POST", "/api/account/tokens")));
}

// An app (Jellyfin's, on a TV or phone) shows a code; entering it here signs that app in as you.
function quickConnect() {
  const form = h("form", { novalidate: true, "aria-label": "Sign in an app with Quick Connect" }, formError(),
    field({ name: "code", label: "Code shown by the app", help: "Six digits; it lasts five minutes.", attrs: { inputmode: "numeric", autocomplete: "off", maxlength: 8 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in the app")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      const app = await post("/api/account/quick-connect", { code: form.elements.code.value.replace(/\s+/g, "") });
      form.reset();
      announce(`${app.client || "The app"} on ${app.device || "that device"} may now sign in as you; once it has, it is listed with your devices.`);
    } catch (err) { showErrors(form, err); }
  });
  return card("h-quick-connect", "Quick Connect", h("p", {}, "Choose Quick Connect in a Jellyfin app (on a TV, phone or computer) and enter the code it shows. This is also how an account with two-factor sign-in signs in to an app."), form);
}

function card(id, title, ...children) {
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id }, title), ...children);
}

function passwordForm() {
  const form = h("form", { novalidate: true, "aria-label": "Change password" }, formError(),
    field({ name: "current_password", label: "Current password", type: "password", attrs: { autocomplete: "current-password" } }),
    field({ name: "new_password", label: "New password", type: "password", help: "At least 10 characters.", attrs: { autocomplete: "new-password" } }),
    field({ name: "confirm", label: "New password again", type: "password", attrs: { autocomplete: "new-password" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Change password")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const v = formValues(form);
    if (v.new_password !== v.confirm) { showErrors(form, { message: "", fields: { confirm: "does not match the new password" } }); return; }
    try {
      await post("/api/account/password", { current_password: v.current_password, new_password: v.new_password });
      // Changing the password ends every session, this one too.
      app.me = null;
      announce("Your password was changed; sign in with the new one.");
      navigate("/signin");
    } catch (err) { showErrors(form, err); }
  });
  return card("h-password", "Password", form);
}

async function twoFactor() {
  const section = card("h-2fa", "Two-factor sign-in");
  const draw = async () => {
    const account = await get("/api/account");
    section.replaceChildren(h("h2", { id: "h-2fa" }, "Two-factor sign-in"));
    if (account.two_factor_required) section.append(h("p", { class: "form-error" }, "This server requires admins to use two-factor sign-in. Set it up now."));
    if (account.two_factor) {
      section.append(h("p", {}, `Two-factor sign-in is on. ${account.recovery_codes_left === 1 ? "1 recovery code is" : `${account.recovery_codes_left} recovery codes are`} left.`), disableForm(draw));
    } else {
      const start = h("button", { type: "button", class: "primary" }, "Set up two-factor sign-in");
      start.addEventListener("click", async () => {
        try { enrol(section, await post("/api/account/2fa"), draw); } catch (err) { announce(err.message); }
      });
      section.append(h("p", {}, "Two-factor sign-in asks for a code from an authenticator app after your password, so a stolen password alone is not enough."), start);
    }
  };
  await draw();
  return section;
}

function enrol(section, enrolment, done) {
  const form = h("form", { novalidate: true, "aria-label": "Confirm two-factor sign-in" }, formError(),
    field({ name: "code", label: "Code from the app", help: "Six digits.", attrs: { inputmode: "numeric", autocomplete: "one-time-code", maxlength: 8 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Turn on two-factor sign-in")));
  const qr = h("img", { class: "qr", alt: "QR code to scan with an authenticator app", src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qr_svg)}` });
  section.replaceChildren(h("h2", { id: "h-2fa" }, "Two-factor sign-in"),
    h("ol", {},
      h("li", {}, "Scan this code with an authenticator app.", h("div", {}, qr)),
      h("li", {}, "Or type this key into the app: ", h("code", { class: "secret", id: "totp-secret" }, enrolment.secret)),
      h("li", {}, "Enter the code the app shows.")),
    form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      const answer = await post("/api/account/2fa/confirm", { code: form.elements.code.value.replace(/\s+/g, "") });
      section.replaceChildren(h("h2", { id: "h-2fa" }, "Two-factor sign-in is on"),
        h("p", {}, "Save these recovery codes somewhere safe. Each one signs you in once if you lose your phone. They are shown only now."),
        h("ul", { class: "codes", "aria-label": "Recovery codes" }, answer.recovery_codes.map((c) => h("li", {}, c))),
        h("button", { type: "button", onclick: done }, "I have saved them"));
      section.querySelector("h2").focus();
    } catch (err) { showErrors(form, err); }
  });
  form.elements.code.focus();
}

function disableForm(done) {
  const form = h("form", { novalidate: true, "aria-label": "Turn off two-factor sign-in" }, formError(),
    field({ name: "password", label: "Your password", type: "password", attrs: { autocomplete: "current-password" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "danger" }, "Turn off two-factor sign-in")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try { await post("/api/account/2fa/disable", { password: form.elements.password.value }); announce("Two-factor sign-in is off."); done(); } catch (err) { showErrors(form, err); }
  });
  return form;
}

async function sessions(canMakeTokens) {
  const section = card("h-sessions", "Sessions, devices and API tokens");
  const draw = async () => {
    const list = await get("/api/account/sessions");
    section.replaceChildren(h("h2", { id: "h-sessions" }, "Sessions, devices and API tokens"),
      h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ["Name", "Kind", "Last used", "From", "Expires", ""].map((t) => h("th", { scope: "col" }, t || h("span", { class: "visually-hidden" }, "Actions"))))),
        h("tbody", {}, list.map((s) => h("tr", { dataset: { session: s.id } },
          h("td", {}, s.name, s.app ? ` (${s.app})` : "", s.current ? " (this browser)" : ""), h("td", {}, s.kind), h("td", {}, formatDate(s.last_seen_at)),
          h("td", {}, s.last_address || ""), h("td", {}, s.expires_at ? formatDate(s.expires_at) : "Never"),
          h("td", {}, h("button", { type: "button", class: "danger", "aria-label": `Revoke ${s.name}`, onclick: async () => {
            try {
              await del(`/api/account/sessions/${encodeURIComponent(s.id)}`);
              if (s.current) { app.me = null; navigate("/signin"); return; }
              announce(`${s.name} was revoked.`);
              draw();
            } catch (err) { announce(err.message); }
          } }, "Revoke"))))))),
      h("div", { class: "actions" }, h("button", { type: "button", onclick: async () => {
        try { const r = await post("/api/account/sessions/revoke-all", { keep_current: true }); announce(`${r.revoked} other sessions were signed out.`); draw(); } catch (err) { announce(err.message); }
      } }, "Sign out everywhere else")),
      canMakeTokens ? tokenForm(draw) : null);
  };
  await draw();
  return section;
}

function tokenForm(done) {
  const shown = h("div", {});
  const form = h("form", { novalidate: true, "aria-label": "New API token" }, h("h3", {}, "New API token"), formError(),
    field({ name: "name", label: "Token name", help: "What will use it, for example “Kodi in the living room”.", attrs: { maxlength: 128 } }),
    h("fieldset", { class: "field", dataset: { field: "scopes" } }, h("legend", {}, "It may"),
      [["read", "Browse the libraries"], ["stream", "Play and download"], ["admin", "Change settings (admins only)"]].map(([v, t]) =>
        h("div", { class: "radio" }, h("input", { type: "checkbox", id: `scope-${v}`, name: "scopes", value: v, checked: v === "read" }), h("label", { for: `scope-${v}` }, t))),
      h("p", { class: "error", hidden: true })),
    field({ name: "days", label: "Valid for (days)", type: "number", value: 30, attrs: { min: 1, max: 365 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create token")), shown);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const scopes = [...form.querySelectorAll("input[name=scopes]:checked")].map((el) => el.value);
    try {
      const answer = await post("/api/account/tokens", { name: form.elements.name.value.trim(), scopes, days: Number(form.elements.days.value) });
      await done();
      const again = section(answer.token);
      form.closest("section").append(again);
      again.querySelector("code").focus();
    } catch (err) { showErrors(form, err); }
  });
  return form;
}

function section(token) {
  return h("div", { class: "card", role: "status" }, h("p", {}, "Copy this token now; it is shown only once."),
    h("code", { class: "secret", tabindex: 0 }, token));
}
