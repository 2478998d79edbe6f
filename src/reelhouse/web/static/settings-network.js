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
    // Only admins are told which configured names the certificate misses; a warning, not an error.
    const warning = cert.host_check && cert.host_check.warning;
    if (warning) section.append(h("p", { class: "warning cert-warning" }, warning));
    if (cert.source === "user" && (await has("DELETE", CERT))) section.append(revertButton(section, draw));
    if (await has("PUT", CERT)) section.append(uploadForm(draw));
  };
  await draw();
}

// Reads a chosen file into the textarea beside it, so pasting and picking a file end up the same.
function pemField({ name, label, help }) {
  const wrap = field({ name, label, type: "textarea", help, attrs: { spellcheck: "false", autocomplete: "off", class: "mono", rows: 6 } });
  const area = wrap.querySelector("textarea");
  const pickId = `${area.id}-file`;
  const picker = h("input", { id: pickId, type: "file", accept: ".pem,.crt,.cer,.key,text/plain" });
  picker.addEventListener("change", async () => {
    const file = picker.files && picker.files[0];
    if (file) area.value = await file.text();
  });
  wrap.append(h("div", { class: "file-pick" }, h("label", { for: pickId }, `Or choose a file for the ${label.charAt(0).toLowerCase()}${label.slice(1)}`), picker));
  return wrap;
}

// The file's bytes as base64, for the JSON body; in slices, since spreading a large array overflows the stack.
async function base64Of(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

// Two forms of the same upload; the radios show the fields of the chosen one and decide what is sent.
function formatChoice(pemPart, p12Part) {
  const choices = [["pem", "PEM files: a certificate chain and a private key"], ["pkcs12", "A PKCS#12 file (.p12 or .pfx), as exported by a certificate authority, router or Windows"]];
  const radios = choices.map(([value, text]) => {
    const input = h("input", { type: "radio", name: "cert-format", id: `cert-format-${value}`, value, checked: value === "pem" });
    input.addEventListener("change", () => {
      pemPart.hidden = value !== "pem";
      p12Part.hidden = value !== "pkcs12";
    });
    return h("div", { class: "radio" }, input, h("label", { for: `cert-format-${value}` }, text));
  });
  p12Part.hidden = true;
  return h("fieldset", { class: "field radios" }, h("legend", {}, "What you have"), radios);
}

function uploadForm(onDone) {
  const pemPart = h("div", {},
    pemField({ name: "certificate", label: "Certificate chain (PEM)", help: "Your server's certificate first, then each intermediate certificate; each starts with -----BEGIN CERTIFICATE-----." }),
    pemField({ name: "private_key", label: "Private key (PEM)", help: "The certificate's private key: RSA of at least 2048 bits, or ECDSA P-256 or P-384." }));
  const p12Part = h("div", {},
    field({ name: "pkcs12", label: "PKCS#12 file (.p12 or .pfx)", type: "file", help: "One file holding the certificate, its chain and its private key.", attrs: { accept: ".p12,.pfx,application/x-pkcs12" } }));
  const form = h("form", { novalidate: true, "aria-labelledby": "h-cert-upload" },
    h("h3", { id: "h-cert-upload" }, "Upload your own certificate"),
    h("p", { class: "help" }, "For a certificate from a public authority (for example Let's Encrypt) for your own domain name. Browsers will then trust this server without a warning. The key is kept on this server only, readable by it alone."),
    formError(),
    formatChoice(pemPart, p12Part),
    pemPart,
    p12Part,
    field({ name: "passphrase", label: "Passphrase", type: "password", help: "Only if the private key or the PKCS#12 file is protected by one.", attrs: { autocomplete: "off" } }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Upload certificate")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const values = formValues(form);
    const format = form.querySelector('input[name="cert-format"]:checked').value;
    const body = {};
    try {
      if (format === "pkcs12") {
        const file = p12Part.querySelector("input[type=file]").files[0];
        if (!file) {
          showErrors(form, { message: "Choose a PKCS#12 file first.", fields: { pkcs12: "Choose the .p12 or .pfx file to upload." } });
          return;
        }
        body.pkcs12 = await base64Of(file);
      } else {
        body.certificate = values.certificate;
        body.private_key = values.private_key;
      }
      if (values.passphrase) body.passphrase = values.passphrase;
      const installed = await api("PUT", CERT, body);
      await onDone();
      const warning = installed.host_check && installed.host_check.warning;
      announce(`Your certificate is in use. Its SHA-256 fingerprint is ${installed.fingerprint_sha256}.${warning ? ` ${warning}` : ""}`);
    } catch (err) { showErrors(form, err); }
  });
  return form;
}

function revertButton(section, onDone) {
  const problem = formError();
  const button = h("button", { type: "button" }, "Use the server's own certificate");
  button.addEventListener("click", async () => {
    problem.hidden = true;
    try {
      await api("DELETE", CERT);
      await onDone();
      announce("The server's own certificate is in use again.");
    } catch (err) {
      problem.textContent = err.message;
      problem.hidden = false;
    }
  });
  return h("div", { class: "actions" }, problem, button);
}
