// "Sign in with Home", on the home server: a linked server asks to sign the signed-in user in there. The page
// shows which server and where the browser goes back to; approving answers that server's own redirect with a
// one-time code. The request itself came from that server over the link, so this page only names a handle.
import { get, post } from "/static/api.js";
import { h, sentence } from "/static/dom.js";
import { setTitle, navigate } from "/static/app.js";

export async function render({ main, query }) {
  setTitle("Sign in to a linked server");
  const ask = { client_id: query.get("client_id") || "", request_uri: query.get("request_uri") || "" };
  main.append(h("h1", {}, "Sign in to a linked server"));
  let info;
  try {
    info = await get(`/api/auth/authorize?client_id=${encodeURIComponent(ask.client_id)}&request_uri=${encodeURIComponent(ask.request_uri)}`);
  } catch (err) {
    main.append(h("p", { class: "card narrow form-error", role: "alert" }, sentence(err.message)));
    return;
  }
  const back = new URL(info.return_to);
  const status = h("p", { class: "form-error", role: "alert", hidden: true });
  const allow = h("button", { type: "button", class: "primary" }, `Sign in to ${info.server}`);
  const cancel = h("button", { type: "button" }, "Cancel");
  allow.addEventListener("click", async () => {
    allow.disabled = true;
    try {
      const answer = await post("/api/auth/authorize", ask);
      location.assign(answer.redirect);
    } catch (err) {
      allow.disabled = false;
      status.hidden = false;
      status.textContent = sentence(err.message);
    }
  });
  cancel.addEventListener("click", () => navigate("/", { replace: true }));
  main.append(h("section", { class: "card narrow", "aria-labelledby": "h-authorize" },
    h("h2", { id: "h-authorize" }, `${info.server} asks to sign you in`),
    h("p", {}, `You are signed in here as ${info.user}. ${info.server} will see your user name and open its own session for you, with what it was shared with you.`),
    h("p", { class: "muted" }, `You will go back to ${back.host}.`),
    status, h("div", { class: "actions" }, allow, cancel)));
}
