// Redeeming an invitation: check the code, then choose a username and password.
import { post } from "/static/api.js";
import { h, field, formError, showErrors, clearErrors, formValues, formatDate } from "/static/dom.js";
import { setTitle, signedIn, refreshLibraries, navigate, session as app } from "/static/app.js";

export async function render({ main, query }) {
  setTitle("Invitation");
  const code = (query.get("code") || "").trim();
  main.append(h("h1", {}, "You are invited"));
  if (!code) {
    main.append(h("p", { class: "form-error" }, "This invitation link is incomplete: the part after # is missing. Ask for the link again."));
    return;
  }
  let offer;
  try {
    offer = await post("/api/invitations/check", { code });
  } catch (err) {
    main.append(h("p", { class: "form-error", role: "alert" }, err.status === 404 || err.status === 422
      ? "This invitation is not valid any more: it may have expired, been used or been revoked. Ask for a new one."
      : err.message));
    return;
  }
  main.querySelector("h1").textContent = `You are invited to ${offer.server_name}`;
  if (app.me) {
    main.append(h("p", {}, `You are signed in as ${app.me.username}. Sign out first to accept this invitation as a new user.`));
    return;
  }
  const form = h("form", { class: "card narrow", novalidate: true },
    offer.message ? h("blockquote", { class: "invite-message" }, h("p", {}, offer.message)) : null,
    h("p", { class: "muted" }, `This invitation is valid until ${formatDate(offer.expires_at)}.`),
    formError(),
    field({ name: "username", label: "Choose a username", help: "Letters, digits, dots, dashes or underscores.", attrs: { required: true, autocomplete: "username", maxlength: 32 } }),
    field({ name: "password", label: "Choose a password", type: "password", help: "At least 10 characters.", attrs: { required: true, autocomplete: "new-password", minlength: 10 } }),
    field({ name: "confirm", label: "Password again", type: "password", attrs: { required: true, autocomplete: "new-password" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Accept invitation")));
  main.append(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const v = formValues(form);
    if (v.password !== v.confirm) { showErrors(form, { message: "", fields: { confirm: "does not match the password" } }); return; }
    try {
      const answer = await post("/api/invitations/redeem", { code, username: v.username.trim(), password: v.password });
      signedIn(answer.user);
      await refreshLibraries();
      navigate("/", { replace: true });
    } catch (err) { showErrors(form, err); }
  });
}
