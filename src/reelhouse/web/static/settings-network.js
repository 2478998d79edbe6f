// The Network page's HTTPS parts: the warning before HTTPS becomes required, the certificate's details and
// fingerprint, and uploading your own, as the API offers.
import { get, has, api } from "/static/api.js";
import { h, field, formError, showErrors, clearErrors, formValues, formatDate } from "/static/dom.js";
import { announce } from "/static/app.js";

const CERT = "/api/certificate";
const TLS = "/api/tls";

// Whether HTTPS is served and by which port, with the server's own CA; null when this caller cannot ask.
export async function tlsFacts() {
  return (await has("GET", TLS)) ? get(TLS) : null;
}

export function httpsAddress(port) {
  return `https://${location.hostname}${port === 443 ? "" : `:${port}`}/`;
}

// Where the page goes once HTTPS is required: the sign-in page there, told why, and back to Network after.
export function movedTarget(port) {
  return `${httpsAddress(port)}#/signin?moved=https&next=${encodeURIComponent("/settings/network")}`;
}

function moveWarning(facts) {
  if (!facts || !facts.https_port) {
    return [h("p", {}, "No HTTPS listener is open on this server. Once HTTPS is required, the server refuses this page and every other client that uses plain HTTP, until it is started with an HTTPS port."),
      h("p", {}, "Keep “Preferred” unless you are about to restart the server with HTTPS.")];
  }
  const address = httpsAddress(facts.https_port);
  const parts = [h("p", {}, "After saving, this server answers only over HTTPS. This page moves to ", h("strong", { class: "mono move-address" }, address),
    ", and you sign in again there: your sign-in belongs to the address you are using now.")];
  if (facts.certificate_source === "user") {
    parts.push(h("p", {}, "The server uses the certificate you uploaded. Browsers accept it without a warning if a public authority issued it and it names the address you connect by."));
    return parts;
  }
  parts.push(h("p", {}, "Your browser will then warn that the connection is not private, because this server signs its own certificate. The warning stays until you install the server's certificate authority (CA) on this device and mark it as trusted."));
  const ca = facts.authority;
  if (ca) {
    parts.push(h("p", {}, h("a", { href: ca.download, download: "reelhouse-ca.pem", class: "ca-download" }, "Download the CA certificate"),
      ". Its SHA-256 fingerprint is ", h("code", { class: "mono ca-fingerprint" }, ca.fingerprint_sha256),
      "; check that your device shows the same fingerprint when you install it."));
  }
  return parts;
}

// A modal confirm step before "Required" is saved from plain HTTP; resolves true only when accepted.
export function confirmRequired(facts) {
  return new Promise((resolve) => {
    const cancel = h("button", { type: "button", autofocus: true }, "Keep the current setting");
    const accept = h("button", { type: "button", class: "primary" }, facts && facts.https_port ? "Require HTTPS and move" : "Require HTTPS anyway");
    const dialog = h("dialog", { class: "confirm", "aria-labelledby": "h-move", "aria-describedby": "move-text" },
      h("h2", { id: "h-move" }, "Require secure connections?"),
      h("div", { id: "move-text" }, moveWarning(facts)),
      h("div", { class: "actions" }, cancel, accept));
    cancel.addEventListener("click", () => dialog.close("cancel"));
    accept.addEventListener("click", () => dialog.close("accept"));
    // Escape closes it as a cancel too; either way the dialog goes and the answer is given once.
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "accept");
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export async function certificateSection(main, facts) {
  if (!facts) return;
  const section = h("section", { class: "card", "aria-labelledby": "h-cert" }, h("h2", { id: "h-cert" }, "Certificate"));
  main.append(section);
  const draw = async () => {
    section.replaceChildren(h("h2", { id: "h-cert" }, "Certificate"));
    if (!facts.https_port || !(await has("GET", CERT))) {
      section.append(h("p", {}, "No HTTPS listener is open, so there is no certificate in use. Start the server with an HTTPS port to encrypt connections."));
      return;
    }
    let cert;
    try {
      cert = await get(CERT);
    } catch (err) {
      section.append(h("p", { class: "form-error" }, err.message));
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
