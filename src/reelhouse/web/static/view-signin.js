// Sign-in: password, then a two-factor code when the server asks for one.
import { get, post } from "/static/api.js";
import { h, field, formError, showErrors, clearErrors, formValues } from "/static/dom.js";
import { signedIn, setTitle, navigate, refreshLibraries, session as app } from "/static/app.js";

export async function render({ main, query }) {
  setTitle("Sign in");
  if (app.me) { navigate("/", { replace: true }); return; }
  const totp = field({ name: "totp", label: "Two-factor code", help: "The 6-digit code from your authenticator app, or a recovery code.", attrs: { autocomplete: "one-time-code", inputmode: "numeric", maxlength: 16 } });
  totp.hidden = true;
  const form = h("form", { class: "card narrow", novalidate: true },
    formError(),
    field({ name: "username", label: "Username", attrs: { required: true, autocomplete: "username", maxlength: 64 } }),
    field({ name: "password", label: "Password", type: "password", attrs: { required: true, autocomplete: "current-password" } }),
    totp,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")));
  main.append(h("h1", {}, `Sign in to ${app.setup?.server_name || "Reelhouse"}`));
  // Set by the Network page when "Required" moved it here: a sign-in belongs to one origin, HTTP or HTTPS.
  if (query.get("moved") === "https") {
    main.append(h("p", { class: "card narrow notice", dataset: { reason: "moved-https" } },
      "This server now accepts only secure (HTTPS) connections, so the page moved to this address. You were signed in at the old plain HTTP address, so please sign in once more here."));
  }
  if (query.get("home") === "refused") {
    main.append(h("p", { class: "card narrow form-error", role: "alert", dataset: { reason: "home-refused" } },
      "Signing in with your home server did not work. Start again with its button below; if it keeps failing, ask the person who shared this server with you."));
  }
  main.append(form);
  homeButtons(main);
  // Managed profiles are offered only on the home network; the server answers an empty list elsewhere.
  get("/api/auth/profiles").then((profiles) => {
    if (profiles.length) main.append(h("p", {}, h("a", { href: "#/profiles" }, "Pick a profile instead")));
  }).catch(() => {});
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const v = formValues(form);
    const missing = {};
    if (!v.username.trim()) missing.username = "is required";
    if (!v.password) missing.password = "is required";
    if (Object.keys(missing).length) { showErrors(form, { message: "", fields: missing }); return; }
    const body = { username: v.username.trim(), password: v.password, device: deviceName() };
    if (!totp.hidden && v.totp.trim()) body.totp = v.totp.replace(/\s+/g, "");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      const answer = await post("/api/auth/login", body);
      signedIn(answer.user);
      await refreshLibraries();
      const next = query.get("next");
      navigate(next && next.startsWith("/") && !next.startsWith("/signin") ? next : "/", { replace: true });
    } catch (err) {
      if (needsSecondFactor(err)) {
        const first = totp.hidden;
        totp.hidden = false;
        if (first && !body.totp) {
          clearErrors(form);
          const summary = form.querySelector(".form-error");
          summary.textContent = "Enter the code from your authenticator app to finish signing in.";
          summary.hidden = false;
          totp.querySelector("input").focus();
          return;
        }
      }
      showErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
}

// "Sign in with Home". On the home network: one button per linked server whose users may sign in here.
// Elsewhere the server names none (a stranger would learn the owner's servers): one button asks the friend
// for their home server's name. The server pushes the request to home and answers home's approval page; the
// browser only follows it.
function homeButtons(main) {
  get("/api/auth/home").then(({ servers, ask_name: askName }) => {
    if (!servers.length && !askName) return;
    const box = h("section", { class: "card narrow home-sign-in", "aria-label": "Sign in with your home server" },
      h("p", {}, "Friends of a linked server sign in with their account there:"));
    for (const server of servers) {
      const button = h("button", { type: "button", class: "primary" }, `Sign in with ${server.name}`);
      button.addEventListener("click", async () => {
        button.disabled = true;
        try {
          const started = await post(`/api/auth/home/${encodeURIComponent(server.id)}/start`);
          location.assign(started.authorize_url);
        } catch (err) {
          button.disabled = false;
          box.append(h("p", { class: "form-error", role: "alert" }, err.message));
        }
      });
      box.append(h("div", { class: "actions" }, button));
    }
    if (askName) box.append(byName());
    main.append(box);
  }).catch(() => {});
}

function byName() {
  const form = h("form", { novalidate: true, "aria-label": "Your home server" },
    formError(),
    field({ name: "server", label: "Your home server's name", help: "As its owner named it, for example the name in its page titles.", attrs: { required: true, maxlength: 128, autocomplete: "off" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in with your home server")));
  const input = form.querySelector("input");
  const wrap = input.closest(".field");
  wrap.hidden = true;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    // The first press shows the name field; the next one starts.
    if (wrap.hidden) { wrap.hidden = false; input.focus(); return; }
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const started = await post("/api/auth/home/start", { server: input.value });
      location.assign(started.authorize_url);
    } catch (err) {
      showErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// The accounts API names the totp field when a code is required or wrong.
function needsSecondFactor(err) {
  return Boolean((err.fields && "totp" in err.fields) || /two-factor|totp|authenticator/i.test(err.code + " " + err.message));
}

function deviceName() {
  const ua = navigator.userAgent;
  const browser = /Firefox\//.test(ua) ? "Firefox" : /Edg\//.test(ua) ? "Edge" : /Chrom(e|ium)\//.test(ua) ? "Chrome" : /Safari\//.test(ua) ? "Safari" : "Browser";
  return `${browser} web app`;
}
