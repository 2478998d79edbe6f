// Servers: this server, then every linked server as the last status check found it (GET /api/servers never
// waits for a peer, so one that is down cannot slow the page); each shows status, health and scopes.
import { get } from "/static/api.js";
import { h } from "/static/dom.js";
import { setTitle, session as app } from "/static/app.js";

const SECURE = { required: "Required (HTTPS only)", preferred: "Preferred (HTTPS for remote clients)", disabled: "Disabled (HTTP only)" };
const STATUS = {
  online: ["Online", "ok"],
  unreachable: ["Unreachable", "bad"],
  degraded: ["Degraded", "warn"],
  identity_changed: ["Identity changed", "bad"],
  revoked_by_peer: ["Unlinked by that server", "bad"],
  needs_update: ["Needs update", "warn"],
  unknown: ["Not checked yet", ""],
};

function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleString() : "never";
}

function statusText(s) {
  const [label] = STATUS[s.status] || [s.status];
  if (s.status === "unreachable" && s.failing_since) return `${label} since ${when(s.failing_since)}`;
  return label;
}

function linkedRows(s) {
  const skew = s.clock_skew_ms == null ? null : Math.round(s.clock_skew_ms / 1000);
  return [
    ["Server id", s.server_id],
    ["Status", statusText(s)],
    s.status === "identity_changed" ? ["What to do", "The server at this address presented another key. Nothing is sent to it until you unlink it and link again with a new code."] : null,
    s.version ? ["Version", s.version] : null,
    s.remote_access == null ? null : ["Remote access", s.remote_access ? "On" : "Off"],
    s.secure_connections ? ["Secure connections", SECURE[s.secure_connections] || s.secure_connections] : null,
    s.active_streams == null ? null : ["Active streams", String(s.active_streams)],
    s.libraries == null ? null : ["Libraries", `${s.libraries} (${s.items} items)`],
    ["Last seen", when(s.last_seen)],
    s.round_trip_ms == null ? null : ["Round trip", `${s.round_trip_ms} ms`],
    skew == null ? null : ["Clock difference", `${skew} s`],
    s.address ? ["Address", s.address] : null,
    // A friend unshared here keeps signing in there until that server takes the revocation.
    s.revocations_waiting ? ["Revocations waiting", `${s.revocations_waiting} ${s.revocations_waiting === 1 ? "friend's access" : "friends' access"} ended here, not yet taken by that server: sent when it answers`] : null,
    ["It may, here", s.scopes_to_peer.join(", ") || "nothing"],
    ["This server may, there", s.scopes_from_peer.join(", ") || "nothing"],
  ].filter(Boolean);
}

function card(s, rows, actions) {
  const [label, tone] = STATUS[s.status] || [s.status, ""];
  return h("li", { class: "card server", dataset: { server: s.this ? "this" : s.id } },
    h("h2", {}, s.name, " ", h("span", { class: `badge ${tone}`.trim() }, label)),
    h("dl", {}, rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
    actions);
}

// A linked server this one may manage: its settings open here, rendered from its own registry.
function manageable(s) {
  return s.scopes_from_peer.includes("manage") && !["identity_changed", "revoked_by_peer"].includes(s.status);
}

function remoteSettings(s) {
  return h("p", {}, h("a", { class: "button", href: `#/servers/${encodeURIComponent(s.id)}/settings`, "aria-label": `Settings of ${s.name}` }, "Settings"));
}

// A friend sees the linked servers that share with them: where to sign in with their account here.
function sharedRows(s) {
  return [["Status", statusText(s)], ["Last seen", when(s.last_seen)]];
}

function openLink(s) {
  if (!s.web_url) return null;
  return h("p", {}, h("a", { class: "button", href: `${s.web_url}/#/signin`, "aria-label": `Open ${s.name}` }, "Open"));
}

export async function render({ main }) {
  setTitle("Servers");
  main.append(h("h1", {}, "Servers"));
  const started = performance.now();
  const [server, listed] = await Promise.all([get("/api/server"), get("/api/servers")]);
  const latency = Math.round(performance.now() - started);
  const admin = ["owner", "admin"].includes(app.me.role);
  const [self, ...linked] = listed.servers;
  const rows = [
    ["Status", `Reachable (answered in ${latency} ms)`],
    self.server_id ? ["Server id", self.server_id] : null,
    ["Version", server.version],
    self.remote_access == null ? null : ["Remote access", self.remote_access ? "On: reachable from outside the home network" : "Off: only the home network can connect"],
    self.secure_connections ? ["Secure connections", SECURE[self.secure_connections] || self.secure_connections] : null,
    ["Address", location.origin],
    // What to type into the apps: Jellyfin's take the base path; Subsonic's add /rest themselves.
    server.client_apis?.jellyfin ? ["Jellyfin apps", location.origin + server.client_apis.jellyfin] : null,
    server.client_apis?.subsonic ? ["Subsonic apps", location.origin] : null,
  ].filter(Boolean);
  const settings = admin ? h("p", {}, h("a", { class: "button", href: "#/settings/general" }, "Settings")) : null;
  main.append(h("ul", { class: "servers", "aria-label": "Servers" },
    card({ ...self, name: admin ? h("a", { href: "#/settings/general" }, self.name) : self.name }, rows, settings),
    linked.map((s) => card(s, admin ? linkedRows(s) : sharedRows(s), manageable(s) ? remoteSettings(s) : openLink(s)))));
}
