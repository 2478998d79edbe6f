// The Network page's certificate part: details, fingerprint and uploading your own, as the API offers.
import { get, has, api } from "/static/api.js";
import { h, field, formError, showErrors, clearErrors, formValues } from "/static/dom.js";
import { announce } from "/static/app.js";

export async function certificateSection(main) {
  if (!(await has("GET", "/api/network/certificate"))) return;
  const section = h("section", { class: "card", "aria-labelledby": "h-cert" }, h("h2", { id: "h-cert" }, "Certificate"));
  main.append(section);
  const draw = async () => {
    section.replaceChildren(h("h2", { id: "h-cert" }, "Certificate"));
    let cert;
    try { cert = await get("/api/network/certificate"); } catch (err) { section.append(h("p", { class: "form-error" }, err.message)); return; }
    const rows = Object.entries(cert).filter(([, v]) => v !== null && typeof v !== "object");
    section.append(h("dl", { class: "cert" }, rows.map(([k, v]) => [h("dt", {}, k.replaceAll("_", " ")), h("dd", { class: /fingerprint/.test(k) ? "mono" : null }, String(v))])));
    if (await has("PUT", "/api/network/certificate")) section.append(uploadForm(draw));
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
      await api("PUT", "/api/network/certificate", formValues(form));
      announce("The certificate was installed.");
      onDone();
    } catch (err) { showErrors(form, err); }
  });
  return form;
}
