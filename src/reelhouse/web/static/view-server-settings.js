// A linked server's settings, rendered from its own registry and saved through this server, which asks the
// other over the signed link (the browser never talks to it). While that server does not answer, a change
// waits in the outbox: listed here as pending, with Cancel, until it is delivered or expires after 7 days.
import { get, patch, del } from "/static/api.js";
import { h, clear } from "/static/dom.js";
import { setTitle, announce } from "/static/app.js";
import { settingsForm, LABELS } from "/static/settings-form.js";

const SECTIONS = [
  ["general", "General"],
  ["remote_access", "Remote Access"],
  ["network", "Network"],
  ["transcoder", "Transcoder"],
  ["users", "Users & Sharing"],
];
const STATE = { pending: "Waiting for the server", sent: "Delivered", refused: "Refused", cancelled: "Cancelled", expired: "Expired" };

function describe(changes) {
  return Object.entries(changes).map(([k, v]) => `${k.replaceAll("_", " ")} → ${JSON.stringify(v)}`).join(", ");
}

function shown(value) {
  if (Array.isArray(value)) return value.length ? value.join(", ") : "None";
  if (typeof value === "boolean") return value ? "On" : "Off";
  return String(value ?? "");
}

// Settings the other server refuses over any link, as its own document marks them (local_only): shown with their
// values, without a field, so nobody fills one in only to be refused.
function localOnly(specs, values, name) {
  return h("section", { class: "local-only", "aria-label": `Changed only on ${name}` },
    h("p", { class: "help" }, `These can only be changed on ${name} itself, by an admin signed in there: a linked server may never change them.`),
    h("dl", {}, specs.flatMap((s) => [
      h("dt", {}, LABELS[s.name] || s.name.replaceAll("_", " ")),
      h("dd", { dataset: { setting: s.name } }, shown(values[s.name])),
    ])));
}

async function drawOutbox(box, id) {
  const { entries } = await get(`/api/servers/${encodeURIComponent(id)}/outbox`);
  clear(box);
  if (!entries.length) return;
  box.append(h("h2", {}, "Changes waiting or sent later"),
    h("ul", { class: "outbox", "aria-label": "Queued changes" }, entries.map((e) => {
      // A revocation is never cancelled nor expires: it waits until the server answers.
      const revocation = e.kind !== "settings";
      const cancel = e.state === "pending" && !revocation
        ? h("button", { type: "button", onclick: async () => {
          try {
            await del(`/api/servers/${encodeURIComponent(id)}/outbox/${encodeURIComponent(e.id)}`);
            announce("The queued change was cancelled.");
          } catch (err) { announce(err.message); }
          await drawOutbox(box, id);
        } }, "Cancel")
        : null;
      return h("li", { dataset: { entry: e.id, state: e.state } },
        h("span", { class: "badge" }, STATE[e.state] || e.state), " ",
        revocation ? `A friend's access ended here (revocation ${e.changes.seq ?? ""})` : describe(e.changes),
        revocation
          ? ` (queued ${new Date(e.created_at * 1000).toLocaleString()}; never expires)`
          : ` (queued ${new Date(e.created_at * 1000).toLocaleString()}; expires ${new Date(e.expires_at * 1000).toLocaleString()})`,
        e.last_error && e.state === "refused" ? h("p", { class: "error" }, e.last_error) : null,
        cancel);
    })));
}

export async function render({ main, params }) {
  const id = params.id;
  const { servers } = await get("/api/servers");
  const server = servers.find((s) => s.id === id && !s.this);
  const name = server ? server.name : "Linked server";
  setTitle(`${name}: Settings`);
  main.append(h("p", {}, h("a", { href: "#/servers" }, "← Servers")), h("h1", {}, `${name}: Settings`));
  const outbox = h("section", { class: "outbox-list" });
  let document;
  try {
    document = await get(`/api/servers/${encodeURIComponent(id)}/settings`);
  } catch (err) {
    main.append(h("p", { class: "error", role: "alert" }, err.message), outbox);
    await drawOutbox(outbox, id).catch(() => {});
    return;
  }
  const load = async () => [document.registry, document.values];
  const save = async (changes) => {
    const answer = await patch(`/api/servers/${encodeURIComponent(id)}/settings`, { values: changes });
    await drawOutbox(outbox, id);
    if (answer.applied) return answer.values;
    announce(`${name} is not answering: the change waits and is sent when it is back.`);
    return null;
  };
  main.append(h("p", { class: "help" }, `These are ${name}'s own settings, changed through this server on your behalf. Exposing it while secure connections are off needs a sign-in on ${name} itself, as do the settings shown without a field.`));
  for (const [section, title] of SECTIONS) {
    // Library ids name the other server's libraries, which this page cannot show: left to its own page.
    const specs = document.registry.filter((s) => s.section === section && s.type !== "library_ids");
    if (!specs.length) continue;
    const editable = specs.filter((s) => !s.local_only).map((s) => s.name);
    const fixed = specs.filter((s) => s.local_only);
    main.append(h("h2", {}, title));
    if (editable.length) main.append(await settingsForm(editable, { title: `${name}: ${title}`, load, save }));
    if (fixed.length) main.append(localOnly(fixed, document.values, name));
  }
  main.append(outbox);
  await drawOutbox(outbox, id);
}
