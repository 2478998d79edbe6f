// Servers: the servers this account can use (today, this one) with their status; each opens its settings.
import { get } from "/static/api.js";
import { h } from "/static/dom.js";
import { setTitle, session as app } from "/static/app.js";

const SECURE = { required: "Required (HTTPS only)", preferred: "Preferred (HTTPS for remote clients)", disabled: "Disabled (HTTP only)" };

export async function render({ main }) {
  setTitle("Servers");
  main.append(h("h1", {}, "Servers"));
  const started = performance.now();
  const server = await get("/api/server");
  const latency = Math.round(performance.now() - started);
  const admin = ["owner", "admin"].includes(app.me.role);
  const settings = admin ? (await get("/api/settings")).values : null;
  const rows = [
    ["Status", `Reachable (answered in ${latency} ms)`],
    ["Version", server.version],
    settings ? ["Remote access", settings.remote_access ? "On: reachable from outside the home network" : "Off: only the home network can connect"] : null,
    settings ? ["Secure connections", SECURE[settings.secure_connections] || settings.secure_connections] : null,
    ["Address", location.origin],
    // What to type into the apps: Jellyfin's take the base path; Subsonic's add /rest themselves.
    server.client_apis?.jellyfin ? ["Jellyfin apps", location.origin + server.client_apis.jellyfin] : null,
    server.client_apis?.subsonic ? ["Subsonic apps", location.origin] : null,
  ].filter(Boolean);
  main.append(h("ul", { class: "servers", "aria-label": "Servers" },
    h("li", { class: "card server", dataset: { server: "this" } },
      h("h2", {}, admin ? h("a", { href: "#/settings/general" }, server.name) : server.name, " ", h("span", { class: "badge ok" }, "Online")),
      h("dl", {}, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
      admin ? h("p", {}, h("a", { class: "button", href: "#/settings/general" }, "Settings")) : null)));
}
