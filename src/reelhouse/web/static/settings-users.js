// Users & Sharing: users with roles and grants, Invite Friend, pending invitations and managed profiles.
import { get, post, patch, del, has } from "/static/api.js";
import { h, field, formError, showErrors, clearErrors, formatDate } from "/static/dom.js";
import { announce, session as app } from "/static/app.js";
import { settingsForm } from "/static/settings-form.js";
import { grantsFields, describeEnd } from "/static/settings-grants.js";
import { userServers } from "/static/settings-user-servers.js";

export async function render({ main }) {
  const libraries = await get("/api/libraries");
  // The labels titles carry, so the owner picks real ones: the server matches them exactly.
  const known = { labels: (await has("GET", "/api/labels")) ? (await get("/api/labels")).labels : null };
  if (await has("GET", "/api/users")) main.append(await usersSection(libraries, known));
  if (await has("POST", "/api/invitations")) main.append(await invitationsSection(libraries, known));
  if (await has("POST", "/api/users")) main.append(profileSection(libraries, known));
  main.append(h("section", { class: "card", "aria-labelledby": "h-user-settings" }, h("h2", { id: "h-user-settings" }, "Defaults"),
    await settingsForm(["invitation_days", "require_2fa_for_admins", "audit_retention_days"], { title: "Users & Sharing defaults" })));
}

// Grants the browser can already tell are wrong are shown beside their fields and nothing is sent.
function refused(form, grants) {
  const fields = grants.problems();
  if (!Object.keys(fields).length) return false;
  showErrors(form, { message: "", fields });
  return true;
}

async function usersSection(libraries, known) {
  const section = h("section", { class: "card", "aria-labelledby": "h-users" });
  const draw = async () => {
    const users = await get("/api/users");
    section.replaceChildren(h("h2", { id: "h-users" }, "Users"),
      h("ul", { class: "rows", "aria-label": "Users" }, users.map((u) => userRow(u, libraries, known, draw))));
  };
  await draw();
  return section;
}

function userRow(user, libraries, known, redraw) {
  const names = user.grants.libraries === "all" || !user.grants.libraries ? "All libraries"
    : libraries.filter((l) => user.grants.libraries.includes(l.id)).map((l) => l.name).join(", ") || "No libraries";
  const ends = user.grants.expires_at;
  const ended = ends !== null && ends !== undefined && ends * 1000 <= Date.now();
  const li = h("li", { class: "row-item user", dataset: { user: user.username } },
    h("span", { class: "grow" }, h("strong", {}, user.username), " ", h("span", { class: "badge" }, user.role),
      user.disabled ? h("span", { class: "badge" }, "disabled") : null, ended ? h("span", { class: "badge" }, "ended") : null,
      user.two_factor ? h("span", { class: "badge ok" }, "2FA") : null,
      h("br"), h("span", { class: "meta" }, `${user.role === "owner" || user.role === "admin" ? "All libraries" : names}`
        + `${ends && !ended ? ` · until ${describeEnd(ends)}` : ""} · last seen ${user.last_seen_at ? formatDate(user.last_seen_at) : "never"}`)));
  if (user.role === "owner" || user.username === app.me.username) return li;
  const edit = h("button", { type: "button", "aria-expanded": "false" }, "Edit");
  li.append(edit);
  edit.addEventListener("click", () => {
    if (li.querySelector("form")) { li.querySelectorAll("form.editor, .user-servers").forEach((el) => el.remove()); edit.setAttribute("aria-expanded", "false"); return; }
    edit.setAttribute("aria-expanded", "true");
    const grants = grantsFields(libraries, user.grants, known);
    const form = h("form", { class: "editor", novalidate: true, "aria-label": `Permissions of ${user.username}` }, formError(),
      field({ name: "role", label: "Role", type: "select", value: user.role, options: [["member", "Member"], ["admin", "Admin"], ["managed", "Managed profile"]] }),
      grants,
      field({ name: "disabled", label: "Disabled (cannot sign in)", type: "checkbox", value: user.disabled }),
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save Changes"),
        h("button", { type: "button", class: "danger", onclick: async () => {
          if (!confirm(`Delete ${user.username}? Their play history goes with them.`)) return;
          try { await del(`/api/users/${encodeURIComponent(user.id)}`); announce(`${user.username} was deleted.`); redraw(); } catch (err) { showErrors(form, err); }
        } }, "Delete user")));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors(form);
      if (refused(form, grants)) return;
      try {
        await patch(`/api/users/${encodeURIComponent(user.id)}`, { role: form.elements.role.value, disabled: form.elements.disabled.checked, grants: grants.read() });
        announce(`Changes to ${user.username} saved.`);
        redraw();
      } catch (err) { showErrors(form, err); }
    });
    li.append(form);
    form.querySelector("select").focus();
    userServers(user).then((servers) => { if (servers && form.isConnected) li.append(servers); }).catch(() => {});
  });
  return li;
}

async function invitationsSection(libraries, known) {
  const section = h("section", { class: "card", "aria-labelledby": "h-invite" });
  const pending = h("div", {});
  const drawPending = async () => {
    const all = await get("/api/invitations");
    const live = all.filter((i) => i.live);
    pending.replaceChildren(h("h3", {}, "Pending invitations"), live.length
      ? h("ul", { class: "rows", "aria-label": "Pending invitations" }, live.map((inv) => h("li", { class: "row-item", dataset: { invitation: inv.id } },
        h("span", { class: "grow" }, inv.note || "Invitation", h("br"), h("span", { class: "meta" }, `${inv.role} · used ${inv.uses} of ${inv.max_uses} · until ${formatDate(inv.expires_at)}`)),
        h("button", { type: "button", class: "danger", "aria-label": `Revoke invitation ${inv.note || ""}`.trim(), onclick: async () => {
          try { await del(`/api/invitations/${encodeURIComponent(inv.id)}`); announce("The invitation was revoked."); drawPending(); } catch (err) { announce(err.message); }
        } }, "Revoke"))))
      : h("p", { class: "muted" }, "No pending invitations."));
  };
  const grants = grantsFields(libraries, {}, { ...known, choose: true });
  const shown = h("div", { "aria-live": "polite" });
  const form = h("form", { novalidate: true, "aria-label": "Invite Friend" }, formError(),
    field({ name: "note", label: "Who is it for?", help: "A note for you and other admins, for example their name. Your friend does not see it.", attrs: { maxlength: 200 } }),
    field({ name: "message", label: "Message for your friend (optional)", type: "textarea", help: "Shown on the page the link opens, above the sign-up form.", attrs: { maxlength: 500 } }),
    field({ name: "role", label: "Role", type: "select", value: "member", options: [["member", "Member"], ["admin", "Admin (owner only)"]] }),
    grants,
    field({ name: "days", label: "Valid for (days)", type: "number", value: "", help: "Empty uses the server's default.", attrs: { min: 1, max: 365 } }),
    field({ name: "max_uses", label: "How many people may use it", type: "number", value: 1, attrs: { min: 1, max: 100 } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Invite Friend")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (refused(form, grants)) return;
    const body = { role: form.elements.role.value, grants: grants.read(), max_uses: Number(form.elements.max_uses.value || 1) };
    if (form.elements.note.value.trim()) body.note = form.elements.note.value.trim();
    if (form.elements.message.value.trim()) body.message = form.elements.message.value.trim();
    if (form.elements.days.value.trim()) body.days = Number(form.elements.days.value);
    try {
      const made = await post("/api/invitations", body);
      const link = h("input", { id: "invite-link", type: "text", readonly: true, value: made.url, class: "secret" });
      const copy = h("button", { type: "button", onclick: async () => {
        try { await navigator.clipboard.writeText(made.url); announce("The link was copied."); } catch { link.select(); announce("Select the link and copy it."); }
      } }, "Copy link");
      shown.replaceChildren(h("div", { class: "card", role: "status" },
        h("label", { for: "invite-link" }, "Send this link to your friend. It is shown only once."), link, h("div", { class: "actions" }, copy)));
      link.focus();
      link.select();
      form.reset();
      drawPending();
    } catch (err) { showErrors(form, err); }
  });
  section.append(h("h2", { id: "h-invite" }, "Invite Friend"), form, shown, pending);
  await drawPending();
  return section;
}

function profileSection(libraries, known) {
  const grants = grantsFields(libraries, { may_connect_remotely: false }, { ...known, choose: true });
  const form = h("form", { novalidate: true, "aria-label": "New managed profile" }, formError(),
    field({ name: "username", label: "Profile name", attrs: { maxlength: 32 } }),
    field({ name: "pin", label: "PIN (optional)", type: "password", help: "4 to 8 digits, asked when the profile is picked.", attrs: { inputmode: "numeric", maxlength: 16, autocomplete: "off" } }),
    grants,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Add profile")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (refused(form, grants)) return;
    const body = { username: form.elements.username.value.trim(), role: "managed", grants: grants.read() };
    if (form.elements.pin.value) body.pin = form.elements.pin.value;
    try { await post("/api/users", body); announce(`The profile ${body.username} was added.`); form.reset(); } catch (err) { showErrors(form, err); }
  });
  return h("section", { class: "card", "aria-labelledby": "h-profiles" }, h("h2", { id: "h-profiles" }, "Managed profiles"),
    h("p", {}, "Profiles for people without their own password, such as children. They are picked from a list on the home network."), form);
}
