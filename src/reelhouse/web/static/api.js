// The one way the app talks to the server: JSON in, JSON out, errors as sentences with per-field detail.
import { sentence } from "/static/dom.js";

export class ApiError extends Error {
  constructor(status, message, fields = null, code = "") {
    super(message);
    this.status = status;
    this.fields = fields;
    this.code = code;
  }
}

const FALLBACK = {
  400: "The server did not understand that request.",
  401: "Sign in to continue.",
  403: "You are not allowed to do that.",
  404: "That was not found; it may have been removed, or you may not have access to it.",
  409: "That conflicts with something that already exists.",
  413: "That is too large for the server to accept.",
  422: "Some of what you entered is not valid.",
  429: "Too many attempts; wait a moment and try again.",
  503: "The server is busy or starting; try again in a moment.",
};

export async function api(method, path, body = undefined, { signal } = {}) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin", signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "The server could not be reached; check the connection and try again.");
  }
  if (response.status === 204) return null;
  let data = null;
  const text = await response.text();
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }
  if (!response.ok) {
    const message = data && data.message ? sentence(data.message)
      : FALLBACK[response.status] || `The server answered with an error (${response.status}).`;
    const error = new ApiError(response.status, message, data && data.fields, data && data.error);
    if (response.status === 401 && !path.startsWith("/api/auth/")) {
      window.dispatchEvent(new CustomEvent("reelhouse:signed-out", { detail: error }));
    }
    throw error;
  }
  return data;
}

export const get = (path, opts) => api("GET", path, undefined, opts);
export const post = (path, body, opts) => api("POST", path, body ?? {}, opts);
export const patch = (path, body) => api("PATCH", path, body);
export const del = (path) => api("DELETE", path);

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : "";
}

// Which routes this server has: the app grows with the API instead of linking to pages that cannot work.
let routesPromise = null;
export function serverRoutes() {
  if (!routesPromise) {
    routesPromise = get("/api/openapi.json").then((doc) => {
      const set = new Set();
      for (const [path, ops] of Object.entries(doc.paths || {})) {
        for (const method of Object.keys(ops)) set.add(`${method.toUpperCase()} ${path}`);
      }
      return set;
    }).catch((err) => { routesPromise = null; throw err; });
  }
  return routesPromise;
}

export async function has(method, path) {
  try { return (await serverRoutes()).has(`${method} ${path}`); } catch { return false; }
}

export function forgetRoutes() { routesPromise = null; }

export function artworkUrl(item, kind = "poster", width = 320) {
  return `/api/items/${encodeURIComponent(item.id)}/artwork/${kind}?width=${width}`;
}
