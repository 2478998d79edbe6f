// Users & Sharing: users, roles and grants, invitations and managed profiles, as the API offers them.
import { h } from "/static/dom.js";
import { settingsForm } from "/static/settings-form.js";

export async function render({ main }) {
  main.append(await settingsForm(["invitation_days", "require_2fa_for_admins", "audit_retention_days"], { title: "Users & Sharing" }));
}
