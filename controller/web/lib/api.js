/**
 * The controller's API from the browser: bearer token, JSON, and problem+json
 * turned into an ApiError whose message the views show as is.
 */
export class ApiError extends Error {
  constructor(status, problem) {
    const detail = problem?.detail || problem?.title || `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.problem = problem || {};
    /** [{location, reason}] for a 422: which field, what is wrong */
    this.errors = problem?.errors || [];
  }

  /** "body.url: must be an rtsp or rtsps URL; ..." (the detail already lists them) */
  describe() {
    const field = this.problem.field ? ` (${this.problem.field})` : "";
    return `${this.message}${field}`;
  }
}

export class Api {
  constructor(onUnauthorized) {
    this.token = sessionStorage.getItem("diemcau.token") || "";
    this.onUnauthorized = onUnauthorized;
  }

  setToken(token) {
    this.token = token;
    if (token) sessionStorage.setItem("diemcau.token", token);
    else sessionStorage.removeItem("diemcau.token");
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, ...extra };
  }

  async login(username, password) {
    const body = new URLSearchParams({ username, password });
    const r = await fetch("../api/v1/auth/token", { method: "POST", body });
    if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
    const data = await r.json();
    this.setToken(data.access_token);
    return data;
  }

  /** fetch with the token; `path` is relative to /api/v1 unless it starts with "/". */
  async raw(path, { method = "GET", json, body, headers = {}, query, signal } = {}) {
    let url = path.startsWith("/") ? `..${path}` : `../api/v1/${path}`;
    if (query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") q.append(k, v);
      if ([...q].length) url += `?${q}`;
    }
    const init = { method, headers: this.headers(headers), signal };
    if (json !== undefined) {
      init.body = JSON.stringify(json);
      init.headers["Content-Type"] = "application/json";
    } else if (body !== undefined) init.body = body;
    const r = await fetch(url, init);
    if (r.status === 401) this.onUnauthorized?.();
    if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
    return r;
  }

  async get(path, query) {
    return (await this.raw(path, { query })).json();
  }

  async send(method, path, json, query) {
    const r = await this.raw(path, { method, json, query });
    return r.status === 204 ? null : r.json();
  }

  post(path, json, query) { return this.send("POST", path, json, query); }
  patch(path, json) { return this.send("PATCH", path, json); }
  del(path) { return this.send("DELETE", path); }

  /** An image (snapshot, thumbnail) as an object URL: <img> cannot send the token itself. */
  async imageUrl(path) {
    const r = await this.raw(path);
    return URL.createObjectURL(await r.blob());
  }
}
