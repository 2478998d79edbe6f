// Settings → Linked servers: a one-time code for another server to enter, entering another server's link,
// and the links with their scopes and safety numbers. The owner's alone; every check is the server's.
import { get, post, del, api } from "/static/api.js";
import { h, field, formError, showErrors, clearErrors, formValues, formatDate, sentence } from "/static/dom.js";
import { announce, session as app } from "/static/app.js";

const LIFETIME_NOTE = "The code works for ten minutes and for one attempt.";
const SCOPE_WORDS = { manage: "manage", users: "users", status: "status", identity: "identity" };

function scopes(list) {
  return list.length ? list.map((s) => SCOPE_WORDS[s] || s).join(", ") : "nothing";
}

const ALL_SCOPES = ["identity", "manage", "status", "users"];

// Narrowing is always allowed; giving the other server more here asks for the password again; what this server
// may do there is the other server's grant, so a scope it does not hold stays unticked until linking again.
function scopesForm(link, twoFactor, redraw) {
  const box = (dir, scope, checked, disabled) => field({ name: `${dir}-${scope}`, label: SCOPE_WORDS[scope], type: "checkbox", value: checked, attrs: { disabled } });
  const form = h("form", { class: "editor link-scopes", novalidate: true, "aria-label": `Scopes of ${link.name}` }, formError(),
    h("fieldset", {}, h("legend", {}, `${link.name} may, here`),
      ALL_SCOPES.map((s) => box("to", s, link.scopes_to_peer.includes(s), false))),
    h("fieldset", {}, h("legend", {}, "This server may, there"),
      ALL_SCOPES.map((s) => box("from", s, link.scopes_from_peer.includes(s), !link.scopes_from_peer.includes(s))),
      h("p", { class: "muted" }, `Only ${link.name} gives these; linking again gives back what you untick.`)),
    h("p", { class: "muted" }, "Your password is needed only to give it more here."),
    passwordFields(twoFactor).map((el) => { el?.querySelector("input")?.removeAttribute("required"); return el; }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save scopes")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const ticked = (dir) => ALL_SCOPES.filter((s) => form.elements[`${dir}-${s}`].checked);
    const out = { scopes_to_peer: ticked("to"), scopes_from_peer: ticked("from") };
    const values = formValues(form);
    if (values.password) out.password = values.password;
    if (values.totp) out.totp = values.totp.trim();
    try {
      await api("PATCH", `/api/links/${encodeURIComponent(link.id)}/scopes`, out);
      announce(`Scopes of ${link.name} saved.`);
      await redraw();
    } catch (err) { showErrors(form, err); }
  });
  return form;
}

function passwordFields(twoFactor) {
  return [
    field({ name: "password", label: "Your password", type: "password", attrs: { required: true, autocomplete: "current-password", maxlength: 256 } }),
    twoFactor ? field({ name: "totp", label: "Two-factor code", help: "The code from your authenticator app, or a recovery code.", attrs: { autocomplete: "one-time-code", inputmode: "numeric", maxlength: 64 } }) : null,
  ];
}

function body(form, extra = {}) {
  const values = formValues(form);
  const out = { password: values.password, ...extra };
  if (values.totp) out.totp = values.totp.trim();
  return out;
}

function countdown(el, expiresAt, onExpired) {
  const tick = () => {
    const left = Math.max(0, Math.round(expiresAt - Date.now() / 1000));
    el.textContent = `Expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    if (left === 0) { clearInterval(timer); onExpired(); }
  };
  const timer = setInterval(tick, 1000);
  tick();
  return () => clearInterval(timer);
}

// Servers on the LAN announcing a waiting code (only with lan_discovery on, here and there). A pick fills in
// the address alone: the owner still types the code that server shows, and the code is what proves which
// server answers, so a forged announcement leads nowhere.
function nearbyServers(linkInput) {
  const note = h("p", { class: "nearby-note", "aria-live": "polite" });
  const list = h("ul", { class: "nearby-servers", "aria-label": "Servers nearby" });
  const look = h("button", { type: "button" }, "Look for servers nearby");
  look.addEventListener("click", async () => {
    look.disabled = true;
    list.replaceChildren();
    note.textContent = "Looking on the local network…";
    try {
      const found = await get("/api/links/nearby");
      if (!found.enabled) note.textContent = "LAN discovery is off: turn it on under Settings → Network, here and on the other server.";
      else if (!found.servers.length) note.textContent = "No server nearby is showing a code.";
      else note.textContent = "Pick the server showing the code. Its name and address are only suggestions.";
      list.replaceChildren(...found.servers.map((server) => {
        const pick = h("button", { type: "button" }, `${server.name} (${server.address})`);
        pick.addEventListener("click", () => {
          const input = linkInput();
          input.value = `reelhouse-pair:v1?addr=${server.address}&code=`;
          input.focus();
          note.textContent = `Now type the code ${server.name} shows at the end of the link.`;
        });
        return h("li", {}, pick);
      }));
    } catch (err) { note.textContent = sentence(err.message); } finally { look.disabled = false; }
  });
  return h("div", { class: "nearby" }, h("div", { class: "actions" }, look), note, list);
}

export async function render({ main }) {
  if (app.me.role !== "owner") {
    main.append(h("p", { class: "form-error" }, "Only the server's owner links servers."));
    return undefined;
  }
  const stops = [];
  const account = await get("/api/account").catch(() => ({}));
  const twoFactor = Boolean(account.two_factor);
  const thisServer = h("section", { class: "card", "aria-labelledby": "h-this" });
  const list = h("ul", { class: "link-list", "aria-label": "Linked servers" });
  const known = new Set();

  const drawList = async () => {
    const answer = await get("/api/links");
    thisServer.replaceChildren(h("h2", { id: "h-this" }, "This server"),
      h("dl", {}, h("dt", {}, "Name"), h("dd", {}, answer.this.name),
        h("dt", {}, "Server id"), h("dd", { class: "mono" }, answer.this.server_id),
        h("dt", {}, "Key fingerprint"), h("dd", { class: "mono this-fingerprint" }, answer.this.fingerprint)));
    list.replaceChildren();
    if (!answer.links.length) list.append(h("li", { class: "muted" }, "No linked servers yet."));
    for (const link of answer.links) {
      const unlink = h("button", { type: "button", class: "danger", onclick: async () => {
        if (!confirm(`Unlink “${link.name}”? It can no longer reach this server, and this server stops managing it.`)) return;
        try { await del(`/api/links/${encodeURIComponent(link.id)}`); announce(`Unlinked ${link.name}.`); await drawList(); } catch (err) { announce(sentence(err.message)); }
      } }, "Unlink");
      list.append(h("li", { class: "card linked-server", dataset: { link: link.id } },
        h("h3", {}, link.name),
        h("dl", {},
          h("dt", {}, "Server id"), h("dd", { class: "mono" }, link.server_id),
          h("dt", {}, "It may, here"), h("dd", {}, scopes(link.scopes_to_peer)),
          h("dt", {}, "This server may, there"), h("dd", {}, scopes(link.scopes_from_peer)),
          h("dt", {}, "Safety number"), h("dd", { class: "mono safety-number" }, link.safety_number),
          h("dt", {}, "Linked"), h("dd", {}, formatDate(link.paired_at))),
        h("div", { class: "actions" }, unlink), scopesForm(link, twoFactor, drawList)));
    }
    return answer.links;
  };

  // "Link to another server": this server shows a code; the other server's owner enters it.
  const shown = h("div", { class: "link-code-box", "aria-live": "polite" });
  const createError = formError();
  const create = h("form", { class: "card", "aria-labelledby": "h-create" },
    h("h2", { id: "h-create" }, "Link to another server"),
    h("p", {}, "Shows a one-time code for the other server's owner to enter there, under Settings → Linked servers → Add server. ", LIFETIME_NOTE),
    createError, passwordFields(twoFactor),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Show a code")), shown);
  let stopCode = () => {};
  const closeCode = (message) => {
    stopCode();
    stopCode = () => {};
    shown.replaceChildren(message ? h("p", { role: "status" }, message) : "");
  };
  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(create);
    let issued;
    try {
      issued = await api("POST", "/api/links/code", body(create));
    } catch (err) { showErrors(create, err); return; }
    create.reset();
    (await drawList()).forEach((l) => known.add(l.id));
    const timeLeft = h("p", { class: "code-expiry", role: "timer" });
    const linkBox = h("input", { type: "text", readonly: true, class: "mono pair-link", "aria-label": "Link to paste on the other server" });
    linkBox.value = issued.link;
    const copy = h("button", { type: "button", onclick: async () => {
      try { await navigator.clipboard.writeText(issued.link); announce("The link was copied."); } catch { linkBox.select(); announce("Select the link and copy it."); }
    } }, "Copy link");
    const cancel = h("button", { type: "button", onclick: async () => {
      try { await del("/api/links/code"); closeCode("The code was cancelled."); } catch (err) { announce(sentence(err.message)); }
    } }, "Cancel");
    shown.replaceChildren(
      h("p", {}, "Enter this code on the other server, or paste the link, or scan it:"),
      h("p", { class: "link-code mono", "aria-label": `Code ${issued.code.split("").join(" ")}` }, issued.code),
      h("img", { src: issued.qr, class: "link-qr", alt: "QR code of the link", width: 200, height: 200 }),
      h("div", { class: "field" }, linkBox), timeLeft,
      h("div", { class: "actions" }, copy, cancel));
    const stopTimer = countdown(timeLeft, issued.expires_at, () => closeCode("The code expired. Show a new one to try again."));
    // The other side pairs on its own screen: once a new link appears here, say so with its safety number.
    const poll = setInterval(async () => {
      try {
        const links = await get("/api/links");
        const fresh = links.links.find((l) => !known.has(l.id));
        if (fresh) {
          closeCode(`Linked with ${fresh.name}. Safety number ${fresh.safety_number}`);
          await drawList();
        }
      } catch { /* the next tick tries again */ }
    }, 2000);
    stopCode = () => { stopTimer(); clearInterval(poll); };
  });
  stops.push(() => stopCode());

  // "Add server": the other server showed a code; paste its link here.
  const joinError = formError();
  const nearby = nearbyServers(() => join.querySelector('[name="link"]'));
  const joined = h("p", { class: "link-result", role: "status" });
  const join = h("form", { class: "card", "aria-labelledby": "h-join" },
    h("h2", { id: "h-join" }, "Add server"),
    h("p", {}, "Paste the link the other server shows under “Link to another server”."),
    nearby,
    joinError,
    field({ name: "link", label: "Link from the other server", attrs: { required: true, maxlength: 2048, autocomplete: "off", spellcheck: "false" } }),
    passwordFields(twoFactor),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Add server")), joined);
  join.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(join);
    joined.textContent = "";
    const values = formValues(join);
    try {
      const link = await post("/api/links/join", body(join, { link: values.link.trim() }));
      join.reset();
      joined.textContent = `Linked with ${link.name}. Safety number ${link.safety_number}`;
      await drawList();
    } catch (err) { showErrors(join, err); }
  });

  await drawList();
  main.append(thisServer, create, join, h("section", { "aria-labelledby": "h-links" }, h("h2", { id: "h-links" }, "Linked servers"), list));
  return () => stops.forEach((stop) => stop());
}
