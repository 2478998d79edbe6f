// Building the page from data without innerHTML, so nothing the server sends can become markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") el.className = value;
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

let fieldSeq = 0;

// One labelled input with its help text and an error slot that screen readers hear.
export function field({ name, label, type = "text", value = "", help = "", options = null, attrs = {} }) {
  const id = `f-${name}-${++fieldSeq}`;
  const helpId = help ? `${id}-help` : null;
  const errId = `${id}-error`;
  const described = [helpId, errId].filter(Boolean).join(" ");
  let input;
  if (type === "select") {
    input = h("select", { id, name, "aria-describedby": described, ...attrs },
      options.map(([v, text]) => h("option", { value: v, selected: String(v) === String(value) }, text)));
  } else if (type === "textarea") {
    input = h("textarea", { id, name, rows: 4, "aria-describedby": described, ...attrs });
    input.value = value;
  } else if (type === "checkbox") {
    input = h("input", { id, name, type, "aria-describedby": described, ...attrs });
    // The default too, so form.reset() goes back to the value shown first rather than to empty.
    input.checked = input.defaultChecked = Boolean(value);
  } else {
    input = h("input", { id, name, type, "aria-describedby": described, ...attrs });
    input.value = input.defaultValue = value ?? "";
  }
  const wrap = h("div", { class: `field field-${type}`, dataset: { field: name } },
    type === "checkbox" ? [input, h("label", { for: id }, label)] : [h("label", { for: id }, label), input],
    help ? h("p", { class: "help", id: helpId }, help) : null,
    h("p", { class: "error", id: errId, hidden: true }));
  return wrap;
}

// The API names each bad field; put each message next to its field, and the rest at the top.
export function showErrors(form, error) {
  clearErrors(form);
  const fields = (error && error.fields) || {};
  let first = null;
  const unplaced = [];
  for (const [name, message] of Object.entries(fields)) {
    const wrap = form.querySelector(`[data-field="${CSS.escape(name.split(".").pop())}"]`);
    const slot = wrap && wrap.querySelector(".error");
    if (slot) {
      slot.textContent = fieldMessage(wrap, message, error.message);
      slot.hidden = false;
      const input = wrap.querySelector("input,select,textarea");
      input.setAttribute("aria-invalid", "true");
      first = first || input;
    } else {
      unplaced.push(sentence(`${name.replaceAll("_", " ")} ${message}`));
    }
  }
  const summary = form.querySelector(".form-error");
  if (summary) {
    const placed = [...form.querySelectorAll(".error:not([hidden])")].map((el) => el.textContent);
    const overall = error && error.message && !placed.includes(sentence(error.message)) ? sentence(error.message) : "";
    summary.textContent = [overall, ...unplaced].filter(Boolean).join(" ");
    summary.hidden = !summary.textContent;
  }
  (first || summary)?.focus?.();
}

export function clearErrors(form) {
  form.querySelectorAll(".error").forEach((el) => { el.hidden = true; el.textContent = ""; });
  form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
  const summary = form.querySelector(".form-error");
  if (summary) { summary.hidden = true; summary.textContent = ""; }
}

const PREDICATE = /^(must|is|are|needs?|does|has|cannot|should|was) /i;

// Field messages are either predicates ("must be text"), full phrases, or terse codes ("too common");
// a terse code is replaced by the API's sentence, which says the same thing in words.
function fieldMessage(wrap, message, overall) {
  // Pydantic says "Input should be …"; beside its field the field's own label reads better than "Input".
  message = String(message).replace(/^Input (should|must) /, "$1 ");
  if (PREDICATE.test(message)) return sentence(`${labelOf(wrap)} ${message}`);
  if (overall && message.split(/\s+/).length <= 3 && !/['"]/.test(message)) return sentence(overall);
  return sentence(message);
}

function labelOf(wrap) {
  const label = wrap.querySelector("legend") || wrap.querySelector("label");
  return label ? label.textContent.replace(/[:*]$/, "") : "";
}

// "Server name must be text" → "Server name must be text."; every user-visible error is a sentence.
export function sentence(text) {
  const trimmed = String(text).trim();
  if (!trimmed) return trimmed;
  // A leading URL or path keeps its case: "http://…" is not "Http://…".
  const first = /^([a-z][a-z0-9+.-]*:\/\/|\/)/.test(trimmed) ? trimmed : trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

export function formError() {
  return h("p", { class: "form-error", role: "alert", tabindex: "-1", hidden: true });
}

export function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    out[el.name] = el.type === "checkbox" ? el.checked : el.value;
  }
  return out;
}

export function formatDuration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "";
  const s = Math.round(seconds);
  const hrs = Math.floor(s / 3600);
  const mins = Math.floor((s % 3600) / 60);
  const secs = String(s % 60).padStart(2, "0");
  return hrs ? `${hrs}:${String(mins).padStart(2, "0")}:${secs}` : `${mins}:${secs}`;
}

export function formatDate(value) {
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return isNaN(date) ? "" : date.toLocaleString();
}
