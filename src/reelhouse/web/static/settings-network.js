// The Network page's certificate part: details, fingerprint and uploading your own, as the API offers.
import { get, has, api } from "/static/api.js";
import { h, field, formError, showErrors, clearErrors, formValues, formatDate } from "/static/dom.js";
import { announce } from "/static/app.js";

const CERT = "/api/certificate";

export async function certificateSection(main) {
  if (!(await has("GET", CERT))) return;
  const section = h("section", { class: "card", "aria-labelledby": "h-cert" }, h("h2", { id: "h-cert" }, "Certificate"));
  main.append(section);
  const draw = async () => {
    section.replaceChildren(h("h2", { id: "h-cert" }, "Certificate"));
    let cert;
    try {
      cert = await get(CERT);
    } catch (err) {
      // 404 means no HTTPS listener is open: say so in words rather than as an error.
      section.append(h("p", {}, err.status === 404 ? "No HTTPS listener is open, so there is no certificate in use. Start the server with an HTTPS port to encrypt connections." : err.message));
      return;
    }
    const rows = [
      ["Source", cert.source === "generated" ? "Made by this server (its own certificate authority)" : cert.source === "user" ? "Your own certificate" : cert.source],
      ["SHA-256 fingerprint", cert.fingerprint_sha256],
      ["Subject", cert.subject],
      ["Names", cert.names.join(", ")],
      ["Valid from", formatDate(cert.not_before)],
      ["Valid until", formatDate(cert.not_after)],
    ];
    section.append(h("p", { class: "help" }, "Compare the fingerprint with what your browser or app shows when it first connects; if they match, you are talking to this server."),
      h("dl", { class: "cert" }, rows.map(([k, v]) => [h("dt", {}, k), h("dd", { class: /fingerprint/i.test(k) ? "mono" : null }, v)])));
    if (await has("PUT", CERT)) section.append(uploadForm(draw));
  };
  await draw();
}

function uploadForm(onDone) {
  const form = h("form", { novalidate: true, "aria-label": "Upload your own certificate" },
    h("h3", {}, "Use your own certificate"),
    formError(),
    field({ name: "certificate", label: "Certificate chain (PEM)", type: "textarea", attrs: { spellcheck: "false" } }),
    field({ name: "private_key", label: "Private key (PEM)", type: "textarea", attrs: { spellcheck: "false" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Upload certificate")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    try {
      await api("PUT", CERT, formValues(form));
      announce("The certificate was installed.");
      onDone();
    } catch (err) { showErrors(form, err); }
  });
  return form;
}
