// Users & Sharing → a friend → Servers: share libraries of each linked server that lets this server sign its
// users in (identity) and manage them there (users), with the same limits as the local editor. The linked server
// checks and keeps the grant; this page reads it back from there, so its own admins' changes show too.
import { get, api, del, has } from "/static/api.js";
import { h, formError, showErrors, clearErrors } from "/static/dom.js";
import { announce } from "/static/app.js";
import { grantsFields } from "/static/settings-grants.js";

const PRINCIPAL = "/api/servers/{link_id}/principals/{user_id}";

function principalPath(server, user) {
  return `/api/servers/${encodeURIComponent(server.id)}/principals/${encodeURIComponent(user.id)}`;
}

// The editor's grants as the linked server takes them: a list of its library ids, and the rest as limits.
function shareBody(read, libraries) {
  const { libraries: chosen, ...rest } = read;
  const limits = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null && v !== undefined));
  return { libraries: chosen === "all" ? libraries.map((l) => l.id) : chosen, limits };
}

async function serverForm(server, user) {
  const box = h("div", { class: "linked-share", dataset: { server: server.id } }, h("h4", {}, server.name));
  let libraries;
  let current = null;
  try {
    libraries = (await get(`/api/servers/${encodeURIComponent(server.id)}/libraries`)).libraries;
    current = await get(principalPath(server, user)).catch((err) => { if (err.status === 404) return null; throw err; });
  } catch (err) {
    box.append(h("p", { class: "muted" }, err.message));
    return box;
  }
  const grants = grantsFields(libraries, current ? { ...current.limits, libraries: current.libraries } : {}, { choose: !current });
  const state = h("p", { class: "meta" }, current ? `Shared: ${libraries.filter((l) => current.libraries.includes(l.id)).map((l) => l.name).join(", ") || "no libraries"}` : "Not shared.");
  const form = h("form", { class: "editor", novalidate: true, "aria-label": `${server.name} for ${user.username}` }, formError(), state, grants);
  const save = h("button", { type: "submit", class: "primary" }, current ? "Save Changes" : `Share ${server.name}`);
  const stop = h("button", { type: "button", class: "danger", hidden: !current }, "Stop sharing");
  form.append(h("div", { class: "actions" }, save, stop));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const problems = grants.problems();
    if (Object.keys(problems).length) { showErrors(form, { message: "", fields: problems }); return; }
    try {
      await api("PUT", principalPath(server, user), shareBody(grants.read(), libraries));
      announce(`${server.name} is shared with ${user.username}.`);
      box.replaceWith(await serverForm(server, user));
    } catch (err) { showErrors(form, err); }
  });
  stop.addEventListener("click", async () => {
    if (!confirm(`Stop sharing ${server.name} with ${user.username}? Their sessions there end.`)) return;
    try {
      await del(principalPath(server, user));
      announce(`${server.name} is no longer shared with ${user.username}.`);
      box.replaceWith(await serverForm(server, user));
    } catch (err) { showErrors(form, err); }
  });
  box.append(form);
  return box;
}

export async function userServers(user) {
  if (user.role === "managed" || !(await has("GET", PRINCIPAL))) return null;
  const { servers } = await get("/api/servers");
  const linked = servers.filter((s) => !s.this && s.scopes_from_peer.includes("identity") && s.scopes_from_peer.includes("users"));
  if (!linked.length) return null;
  const section = h("section", { class: "user-servers", "aria-label": `Servers for ${user.username}` },
    h("h3", {}, "Servers"),
    h("p", { class: "muted" }, `Linked servers ${user.username} may sign in to with their account here, and what each shares.`));
  for (const server of linked) section.append(await serverForm(server, user));
  return section;
}
