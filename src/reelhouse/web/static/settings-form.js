// A "Save Changes" form over runtime settings: one PATCH, all or nothing, errors beside their fields.
import { get, patch } from "/static/api.js";
import { h, field, formError, showErrors, clearErrors } from "/static/dom.js";
import { announce } from "/static/app.js";

const LIST_TYPES = new Set(["networks", "urls", "hosts"]);

// Friendlier labels and choices than the registry's names; the registry's help text is shown as is.
export const LABELS = {
  server_name: "Server name",
  public_urls: "Public URLs",
  remote_access: "Enable remote access",
  port_mapping: "Ask the router to forward a port (UPnP)",
  remote_ip_filter_mode: "Remote IP filter",
  remote_ip_filter: "Filtered addresses and networks",
  lan_networks: "LAN networks",
  trusted_proxies: "Trusted proxies",
  secure_connections: "Secure connections",
  allowed_hosts: "Allowed host names",
  max_transcodes: "Simultaneous transcodes",
  remote_max_bitrate_kbps: "Remote bitrate limit (kbit/s)",
  transcode_cache_mb: "Transcode cache size (MiB)",
  seek_previews_cache_mb: "Seek preview cache size (MiB)",
  transcode_gpu: "GPU transcode workers",
  require_2fa_for_admins: "Require two-factor sign-in for admins",
  invitation_days: "Invitations last (days)",
  audit_retention_days: "Keep audit entries (days)",
};

export const CHOICES = {
  remote_ip_filter_mode: [["off", "Off: every remote address may connect"], ["allow", "Allow only the addresses below"], ["deny", "Allow everyone except the addresses below"]],
  transcode_gpu: [
    ["off", "Off: every job goes to CPU workers"],
    ["prefer", "Prefer: a GPU worker when one starts the job, else a CPU worker (shown under Activity)"],
    ["require", "Require: GPU workers only; players are told to try again when none can encode"],
  ],
  secure_connections: [
    ["required", "Required: HTTPS only. Plain HTTP requests are redirected to HTTPS and nothing is served over HTTP."],
    ["preferred", "Preferred: remote clients must use HTTPS; on the home network both HTTPS and HTTP work."],
    ["disabled", "Disabled: HTTP only. Nothing is encrypted, so remote access cannot be on."],
  ],
};

let registryPromise = null;
export function registry() {
  if (!registryPromise) registryPromise = get("/api/settings/registry").catch((e) => { registryPromise = null; throw e; });
  return registryPromise;
}

function inputFor(spec, value) {
  const label = LABELS[spec.name] || spec.name.replaceAll("_", " ");
  const help = spec.help;
  if (spec.type === "bool") return field({ name: spec.name, label, type: "checkbox", value, help });
  if (spec.name === "secure_connections") return radios(spec, value, label);
  if (spec.type === "enum" && CHOICES[spec.name]) return field({ name: spec.name, label, type: "select", value, help, options: CHOICES[spec.name] });
  // A linked server's registry names its enums' choices; one this app has no words for shows them as they are.
  if (spec.type === "enum" && spec.choices?.length) return field({ name: spec.name, label, type: "select", value, help, options: spec.choices.map((c) => [c, c]) });
  if (spec.type === "int") return field({ name: spec.name, label, type: "number", value, help, attrs: { inputmode: "numeric" } });
  if (LIST_TYPES.has(spec.type)) {
    return field({ name: spec.name, label, type: "textarea", value: (value || []).join("\n"), help: `${help} One per line.`, attrs: { spellcheck: "false" } });
  }
  return field({ name: spec.name, label, value, help, attrs: { maxlength: 256 } });
}

function radios(spec, value, label) {
  const errId = `err-${spec.name}`;
  return h("fieldset", { class: "field radios", dataset: { field: spec.name }, "aria-describedby": errId },
    h("legend", {}, label),
    CHOICES[spec.name].map(([v, text]) => {
      const id = `${spec.name}-${v}`;
      const input = h("input", { type: "radio", name: spec.name, id, value: v });
      input.checked = value === v;
      return h("div", { class: "radio" }, input, h("label", { for: id }, text));
    }),
    h("p", { class: "error", id: errId, hidden: true }));
}

function readValue(form, spec) {
  const el = form.elements[spec.name];
  if (!el) return undefined;
  if (spec.type === "bool") return el.checked;
  if (spec.type === "int") return el.value.trim() === "" ? el.value : Number(el.value);
  if (LIST_TYPES.has(spec.type)) return el.value.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
  return el.value;
}

// Builds the form for the given setting names; `extra` elements go after the fields, before the button.
// `beforeSave(changes)` may ask the user first; when it resolves false nothing is sent.
// `readExtra()` gives settings that `extra` edits without a field of their own (a reorderable list).
// Another server's settings (a linked server's, through this one): `load()` gives [registry, values] and
// `save(changes)` the values as saved, or null when the change was not applied yet (it said why itself).
export async function settingsForm(names, { title = "", extra = [], onSaved = null, beforeSave = null, readExtra = null, load = null, save = null } = {}) {
  const [specs, current] = load ? await load() : await Promise.all([registry(), get("/api/settings").then((a) => a.values)]);
  const chosen = names.map((n) => specs.find((s) => s.name === n)).filter(Boolean);
  let saved = { ...current };
  const form = h("form", { class: "settings-form", novalidate: true, "aria-label": title || "Settings" },
    formError(),
    chosen.map((spec) => inputFor(spec, saved[spec.name])),
    extra,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Save Changes")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const changes = {};
    for (const spec of chosen) {
      const value = readValue(form, spec);
      if (JSON.stringify(value) !== JSON.stringify(saved[spec.name])) changes[spec.name] = value;
    }
    Object.assign(changes, readExtra ? readExtra() : {});
    if (!Object.keys(changes).length) { announce("Nothing changed."); return; }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      if (beforeSave && !(await beforeSave(changes))) { announce("Nothing was saved."); return; }
      const values = save ? await save(changes) : (await patch("/api/settings", { values: changes })).values;
      if (values) {
        saved = { ...values };
        announce("Changes saved.");
        if (onSaved) onSaved(saved, changes);
      }
    } catch (err) {
      showErrors(form, err);
    } finally {
      button.disabled = false;
    }
  });
  return form;
}
