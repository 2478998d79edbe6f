// First run: the one-time setup code from the server's console creates the owner, then the first library.
import { post } from "/static/api.js";
import { h, field, formError, showErrors, clearErrors, formValues } from "/static/dom.js";
import { signedIn, setTitle, navigate, refreshLibraries, announce } from "/static/app.js";
import { addLibraryForm, scanProgress } from "/static/libraries.js";

export async function render({ main, session }) {
  setTitle("Set up");
  if (!session.setup.needs_setup) { navigate("/", { replace: true }); return; }
  const form = h("form", { class: "card narrow", novalidate: true },
    h("p", {}, "Welcome. Reelhouse printed a one-time setup code in its console and log when it started. Enter it here to create the owner account."),
    formError(),
    field({ name: "code", label: "Setup code", attrs: { required: true, autocomplete: "off", spellcheck: "false", maxlength: 64 } }),
    field({ name: "username", label: "Your username", help: "Letters, digits, dots, dashes or underscores.", attrs: { required: true, autocomplete: "username", maxlength: 32 } }),
    field({ name: "password", label: "Password", type: "password", help: "At least 10 characters.", attrs: { required: true, autocomplete: "new-password", minlength: 10 } }),
    field({ name: "password_again", label: "Password again", type: "password", attrs: { required: true, autocomplete: "new-password" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create owner")));
  main.append(h("h1", {}, "Set up Reelhouse"), form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const v = formValues(form);
    // An empty field is named here; every other problem (length, the repeat, a common password) comes back
    // from the server together, so the form lists them all at once.
    const missing = {};
    for (const name of ["code", "username", "password"]) if (!v[name].trim()) missing[name] = "is required";
    if (Object.keys(missing).length) {
      if (v.password && v.password.length < 10) missing.password = "needs at least 10 characters";
      if (v.password !== v.password_again) missing.password_again = "does not match the password";
      showErrors(form, { message: "", fields: missing });
      return;
    }
    try {
      const answer = await post("/api/setup", { code: v.code.trim(), username: v.username.trim(), password: v.password, password_again: v.password_again });
      signedIn(answer.user);
      await refreshLibraries();
      announce("The owner account is ready.");
      offerLibrary(main);
    } catch (err) {
      showErrors(form, err);
    }
  });
}

function offerLibrary(main) {
  main.replaceChildren();
  const list = h("div", { class: "stack" });
  const form = addLibraryForm(async (library) => {
    await refreshLibraries();
    const [progress] = scanProgress(library, { onDone: () => refreshLibraries() });
    list.append(h("div", { class: "card" }, h("h2", {}, library.name), progress,
      h("p", {}, h("a", { href: `#/library/${library.id}` }, `Open ${library.name}`))));
  });
  main.append(h("h1", { tabindex: -1 }, "Your server is ready"),
    h("p", {}, "Add a folder of movies, shows, music or photos now, or later from Settings → Libraries."),
    form, list,
    h("p", {}, h("a", { href: "#/", class: "button" }, "Go to the home page")));
  main.querySelector("h1").focus();
  setTitle("Add a library");
}
