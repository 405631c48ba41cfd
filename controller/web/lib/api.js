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

/** Renew this long before the access token expires (the clocks of two machines differ). */
const RENEW_AHEAD_MS = 30_000;

/**
 * The session of the console: a short access token renewed silently with a refresh token
 * that works once (the controller rotates it), so a wall runs for days without a login.
 * A wall display may instead hold a device key (read-only, bound to one view), kept across
 * reboots; a person's tokens live in sessionStorage and end with the tab.
 */
export class Api {
  constructor(onUnauthorized) {
    this.onUnauthorized = onUnauthorized;
    this.wallKey = localStorage.getItem("diemcau.wallKey") || "";
    this.access = sessionStorage.getItem("diemcau.token") || "";
    this.refreshToken = sessionStorage.getItem("diemcau.refresh") || "";
    this.expiresAt = Number(sessionStorage.getItem("diemcau.expiresAt") || 0);
    this.renewing = null;
    this.timer = null;
    this.renewals = 0; // how many times the tokens were renewed (the wall test reads it)
    if (this.refreshToken) this.schedule();
  }

  /** The bearer credential to send now: the access token, or the wall display's key. */
  get token() {
    return this.wallKey || this.access;
  }

  /** The credential, renewed first if it is about to expire (what a player asks before an offer). */
  async freshToken() {
    if (!this.wallKey && this.refreshToken && Date.now() > this.expiresAt - RENEW_AHEAD_MS) await this.renew();
    return this.token;
  }

  store(data) {
    this.access = data.access_token;
    this.refreshToken = data.refresh_token || "";
    this.expiresAt = Date.now() + data.expires_in * 1000;
    sessionStorage.setItem("diemcau.token", this.access);
    sessionStorage.setItem("diemcau.refresh", this.refreshToken);
    sessionStorage.setItem("diemcau.expiresAt", String(this.expiresAt));
    this.schedule();
  }

  clear() {
    clearTimeout(this.timer);
    this.access = this.refreshToken = this.wallKey = "";
    this.expiresAt = 0;
    for (const key of ["diemcau.token", "diemcau.refresh", "diemcau.expiresAt"]) sessionStorage.removeItem(key);
    localStorage.removeItem("diemcau.wallKey");
  }

  /** Renew a little before expiry, whether or not anything is being fetched (an SSE stream
   * or a video alone must not find an expired token when it reconnects). */
  schedule() {
    clearTimeout(this.timer);
    const wait = Math.max(1000, this.expiresAt - Date.now() - RENEW_AHEAD_MS);
    this.timer = setTimeout(() => this.renew().catch(() => {}), wait);
  }

  /** One renewal at a time: two requests that both find the token old share it. */
  renew() {
    this.renewing ||= this.exchange().finally(() => { this.renewing = null; });
    return this.renewing;
  }

  async exchange() {
    const body = new URLSearchParams({ grant_type: "refresh_token", refresh_token: this.refreshToken });
    const r = await fetch("../api/v1/auth/token", { method: "POST", body });
    if (!r.ok) {
      const problem = await r.json().catch(() => null);
      if (r.status === 401) { this.clear(); this.onUnauthorized?.(); }
      throw new ApiError(r.status, problem);
    }
    this.store(await r.json());
    this.renewals += 1;
  }

  async login(username, password) {
    const body = new URLSearchParams({ username, password });
    const r = await fetch("../api/v1/auth/token", { method: "POST", body });
    if (!r.ok) throw new ApiError(r.status, await r.json().catch(() => null));
    const data = await r.json();
    this.wallKey = "";
    localStorage.removeItem("diemcau.wallKey");
    this.store(data);
    return data;
  }

  /** A sign-in the province's portal made: the one-time refresh token the controller put in
   * the URL fragment is swapped at once for this console's own tokens. */
  async fromSso(refreshToken) {
    this.clear();
    this.refreshToken = refreshToken;
    await this.renew();
  }

  /** How one may sign in here (public: asked before any sign-in). */
  async signInMethods() {
    const r = await fetch("../api/v1/auth/methods");
    return r.ok ? r.json() : null;
  }

  /** A wall display signs in with its device key (checked by the caller with auth/me). */
  useWallKey(key) {
    this.clear();
    this.wallKey = key;
    localStorage.setItem("diemcau.wallKey", key);
  }

  /** Sign out here: the controller ends this sign-in (its tokens stop working at once). */
  async logout() {
    const refresh = this.refreshToken;
    this.clear();
    if (refresh) {
      await fetch("../api/v1/auth/logout", { method: "POST", body: new URLSearchParams({ refresh_token: refresh }) }).catch(() => {});
    }
  }

  headers(extra = {}) {
    return { Authorization: `Bearer ${this.token}`, ...extra };
  }

  /** fetch with the token; `path` is relative to /api/v1 unless it starts with "/". */
  async raw(path, { method = "GET", json, body, headers = {}, query, signal } = {}) {
    let url = path.startsWith("/") ? `..${path}` : `../api/v1/${path}`;
    if (query) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== "") q.append(k, v);
      if ([...q].length) url += `?${q}`;
    }
    await this.freshToken();
    const send = () => {
      const init = { method, headers: this.headers(headers), signal };
      if (json !== undefined) {
        init.body = JSON.stringify(json);
        init.headers["Content-Type"] = "application/json";
      } else if (body !== undefined) init.body = body;
      return fetch(url, init);
    };
    let r = await send();
    if (r.status === 401 && this.refreshToken && !this.wallKey) {
      // expired between the check and the answer (a sleeping laptop): renew once, try again
      try { await this.renew(); r = await send(); } catch { /* renew() signed out */ }
    }
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
