// Server settings: one page per section, each with its own "Save Changes".
import { get, del, has, query as qs } from "/static/api.js";
import { h, field, formatDate, sentence } from "/static/dom.js";
import { setTitle, refreshLibraries, announce, navigate, session as app } from "/static/app.js";
import { settingsForm } from "/static/settings-form.js";
import { homeShelves } from "/static/settings-home.js";
import { addLibraryForm, scanProgress, seekPreviewsToggle, startScan, KINDS } from "/static/libraries.js";

const SECTIONS = [
  ["general", "General"], ["libraries", "Libraries"], ["remote", "Remote Access"], ["users", "Users & Sharing"],
  ["network", "Network"], ["links", "Linked servers"], ["transcoder", "Transcoder"], ["activity", "Activity"], ["audit", "Audit log"],
];

export async function render(ctx) {
  const { main, params } = ctx;
  const section = SECTIONS.find(([key]) => key === params.section);
  if (!section) { navigate("/settings/general", { replace: true }); return; }
  if (!["owner", "admin"].includes(app.me.role)) {
    main.append(h("h1", {}, "Settings"), h("p", { class: "form-error" }, "Only the server's owner and admins can change its settings."));
    return;
  }
  setTitle(section[1]);
  const body = h("div", { class: "settings-body" }, h("h1", {}, section[1]));
  main.append(h("div", { class: "settings" },
    h("nav", { class: "side", "aria-label": "Settings" }, h("p", { class: "muted" }, h("a", { href: "#/servers" }, app.setup?.server_name || "This server")),
      h("ul", {}, SECTIONS.map(([key, label]) => h("li", {}, h("a", { href: `#/settings/${key}`, "aria-current": key === section[0] ? "page" : null }, label))))),
    body));
  return PAGES[section[0]]({ ...ctx, main: body });
}

const PAGES = {
  async general({ main }) {
    const home = await homeShelves();
    main.append(await settingsForm(["server_name", "public_urls"], { title: "General", extra: [home.fieldset], readExtra: home.read,
      onSaved: (values) => { home.saved(); if (app.setup) app.setup.server_name = values.server_name; } }));
  },

  async libraries({ main }) {
    const stops = [];
    const list = h("ul", { class: "library-list", "aria-label": "Libraries" });
    const draw = async () => {
      stops.splice(0).forEach((stop) => stop());
      const libraries = await get("/api/libraries");
      list.replaceChildren();
      if (!libraries.length) list.append(h("li", { class: "muted" }, "No libraries yet."));
      for (const lib of libraries) {
        const [progress, stop] = scanProgress(lib);
        stops.push(stop);
        const scan = h("button", { type: "button", onclick: async () => {
          try { await startScan(lib); announce(`Scanning ${lib.name}.`); draw(); } catch (err) { announce(err.message); }
        } }, "Scan now");
        const remove = h("button", { type: "button", class: "danger", onclick: async () => {
          if (!confirm(`Remove the library “${lib.name}”? The files in its folders are not touched.`)) return;
          try { await del(`/api/libraries/${encodeURIComponent(lib.id)}`); announce(`${lib.name} was removed.`); await refreshLibraries(); draw(); } catch (err) { announce(err.message); }
        } }, "Remove");
        list.append(h("li", { class: "card", dataset: { library: lib.id } },
          h("h2", {}, h("a", { href: `#/library/${lib.id}` }, lib.name)),
          h("p", { class: "muted" }, `${(KINDS.find(([k]) => k === lib.kind) || [0, lib.kind])[1]} · ${(lib.roots || []).join(", ")}`),
          seekPreviewsToggle(lib), progress, h("div", { class: "actions" }, scan, remove)));
      }
    };
    await draw();
    main.append(list, addLibraryForm(async (lib) => { announce(`${lib.name} was added; its first scan has started.`); await refreshLibraries(); draw(); }));
    return () => stops.forEach((stop) => stop());
  },

  async remote({ main }) {
    const report = h("section", { "aria-labelledby": "h-privacy", class: "card" });
    const friends = h("section", { "aria-labelledby": "h-friends", class: "card", "aria-live": "polite" });
    const drawReport = async () => {
      if (!(await has("GET", "/api/privacy"))) { report.hidden = true; friends.hidden = true; return; }
      try {
        const answer = await get("/api/privacy");
        renderFriendAccess(friends, answer);
        renderPrivacy(report, answer);
      } catch (err) { report.replaceChildren(h("p", { class: "form-error" }, err.message)); }
    };
    main.append(
      h("p", {}, "Remote access lets you and the people you invite use this server from outside your home network. While it is off, anyone outside gets a bare refusal: not even the sign-in page."),
      await settingsForm(["remote_access", "port_mapping", "remote_ip_filter_mode", "remote_ip_filter"], { title: "Remote Access", onSaved: drawReport }),
      friends, report);
    await drawReport();
  },

  async network({ main }) {
    const mod = await import("/static/settings-network.js");
    // Asked first, so the page never requests a certificate that no HTTPS listener holds.
    const facts = await mod.tlsFacts();
    const leavingHttp = (changes) => changes.secure_connections === "required" && location.protocol === "http:";
    main.append(await settingsForm(["secure_connections", "lan_networks", "trusted_proxies", "allowed_hosts"], { title: "Network",
      // Saving "Required" from plain HTTP takes this page to another origin and its sign-in: say so first.
      beforeSave: (changes) => (leavingHttp(changes) ? mod.confirmRequired(facts) : true),
      onSaved: (values, changes) => {
        if (leavingHttp(changes) && facts && facts.https_port) {
          announce("Secure connections are now required; moving this page to HTTPS.");
          setTimeout(() => location.assign(mod.movedTarget(facts.https_port)), 800);
        }
      } }));
    await mod.certificateSection(main, facts);
  },

  async transcoder({ main }) {
    main.append(await settingsForm(["max_transcodes", "remote_max_bitrate_kbps", "transcode_cache_mb", "seek_previews_cache_mb", "transcode_gpu"], { title: "Transcoder" }));
  },

  async activity(ctx) {
    const mod = await import("/static/settings-activity.js");
    return mod.render(ctx);
  },

  async links(ctx) {
    const mod = await import("/static/settings-links.js");
    return mod.render(ctx);
  },

  async users(ctx) {
    const mod = await import("/static/settings-users.js");
    return mod.render(ctx);
  },

  async audit({ main, query }) {
    const action = query.get("action") || "";
    const before = query.get("before") || "";
    const filters = h("form", { class: "filters", "aria-label": "Filter the audit log" },
      field({ name: "action", label: "Action", value: action, help: "For example sign_in, settings.change or library.add.", attrs: { maxlength: 64 } }),
      h("div", { class: "actions" }, h("button", { type: "submit" }, "Filter")));
    filters.addEventListener("submit", (event) => {
      event.preventDefault();
      navigate(`/settings/audit${qs({ action: filters.elements.action.value.trim() })}`);
    });
    const { entries, chain } = await get(`/api/audit${qs({ action, before, limit: 100 })}`);
    main.append(filters);
    if (chain.state === "broken") {
      main.append(h("p", { class: "form-error", role: "alert" }, `The audit log was tampered with${chain.seq ? ` at entry ${chain.seq}` : ""}: ${chain.reason}`));
    } else if (chain.state !== "intact") {
      main.append(h("p", { class: "muted", role: "status" }, chain.reason));
    }
    if (!entries.length) { main.append(h("p", { class: "muted" }, "No audit entries match.")); return; }
    main.append(h("div", { class: "table-wrap" }, h("table", { class: "audit" },
      h("caption", { class: "visually-hidden" }, "Audit log, newest first"),
      h("thead", {}, h("tr", {}, ["When", "Who", "Action", "Target", "Detail", "From"].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, entries.map((e) => h("tr", {},
        h("td", {}, formatDate(e.at)), h("td", {}, e.actor || "server"), h("td", {}, e.action),
        h("td", {}, e.target || ""), h("td", {}, e.detail), h("td", {}, e.address || "")))))));
    if (entries.length === 100) {
      main.append(h("p", {}, h("a", { href: `#/settings/audit${qs({ action, before: entries[entries.length - 1].seq })}` }, "Older entries")));
    }
  },
};

// The privacy report in plain words: one line per thing the server checked.
const TOPICS = {
  remote_access: "Remote access", port_mapping: "Port forwarding on the router", public_urls: "Published addresses",
  listeners: "Listening on", tls: "Encryption", trusted_proxies: "Trusted proxies",
  remote_accounts: "Accounts allowed from outside", open_invitations: "Open invitations",
};

// What still stops a friend from connecting, one sentence per obstacle with what to do about it.
function renderFriendAccess(el, report) {
  const fact = (report.facts || []).find((f) => f.topic === "friend_access");
  if (!fact) { el.hidden = true; return; }
  const blockers = fact.detail.blockers || [];
  el.hidden = false;
  el.replaceChildren(h("h2", { id: "h-friends" }, "Can a friend connect from outside?"),
    blockers.length
      ? h("ul", { class: "friend-blockers" }, blockers.map((b) => h("li", { dataset: { check: b.check } }, sentence(b.sentence))))
      : h("p", { dataset: { check: "ready" } }, sentence(fact.finding)));
}

function renderPrivacy(el, report) {
  const facts = (report.facts || []).filter((fact) => fact.topic !== "friend_access");
  el.replaceChildren(h("h2", { id: "h-privacy" }, "Privacy report: who can reach this server"),
    h("dl", { class: "privacy" }, facts.map((fact) => [
      h("dt", {}, TOPICS[fact.topic] || sentence(fact.topic.replaceAll("_", " ")).replace(/\.$/, "")),
      h("dd", { dataset: { topic: fact.topic } }, sentence(fact.finding)),
    ])));
}
