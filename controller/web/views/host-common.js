/** What the host view's screens share: participant state groups, problem texts, the endpoint search. */
import { h, fill, when, badge } from "../lib/dom.js";
import { t, stateName, language } from "../lib/i18n.js";
import { ApiError } from "../lib/api.js";
import { fold } from "../lib/format.js";
import { rowErrorText } from "../lib/row-errors.js";
import { failureText } from "../lib/failure-text.js";
import "./host-i18n.js";

/** Participant states that hold a bridge port (controller/sessions/store.py HOLDING). */
export const HOLDING = new Set(["waiting", "dialling", "ringing", "connected", "dropped", "redialling"]);
/** Under way: neither in the call nor given up. */
export const PENDING = new Set(["waiting", "dialling", "ringing", "dropped", "redialling"]);
/** Endpoint states in which the controller lists a participant as unavailable at start. */
export const DOWN = new Set(["offline", "unreachable", "auth_failed", "hostkey_mismatch", "hostkey_unpinned"]);
export const CALL_RATES = [384, 512, 768, 1024, 1472, 1920, 2048, 3072, 4096, 6000];
export const FEED_MAX = 300;

export const at = (iso) => when(iso, language());

/** Participants of a session, by the key the board keeps them under (endpoint_id, or the name once deleted). */
export const partKey = (p) => p.endpoint_id || `name:${p.endpoint_name}`;

/** What to tell the host about a failed request: the problem's detail, the bridge counts for a 409. */
/** Why a participant is not in the meeting, in the console's language: from its
 * `cause_code` and `cause_params` (controller/sessions/causes.py); the controller's text
 * for a cause without a code (an older row) or one this console does not know. */
export function causeText(p) {
  const code = p?.cause_code;
  const params = p?.cause_params || {};
  if (!code) return p?.cause || "";
  const failure = params.error ? failureText(params.error, params) : null;
  if ((code === "device_error" || code === "hangup_unconfirmed") && !failure) return p.cause || "";
  const vars = { ...params, failure: failure ?? "", remote: params.remote || t("host.remote_unknown"),
    state: params.state ? stateName(params.state) : "" };
  const key = `host.cause.${code}`;
  const text = t(key, vars);
  return text === key ? (p.cause || "") : text;
}

export function problemText(err) {
  if (!(err instanceof ApiError)) return err?.message || String(err);
  const p = err.problem;
  if (err.status === 409 && p.ports !== undefined && p.free !== undefined) {
    return t("host.err_bridge_full", { ports: p.ports, in_use: p.in_use, requested: p.requested, free: p.free });
  }
  if (p.code === "session.cannot_join" && p.cause_code) {
    const cause = causeText({ cause: "", cause_code: p.cause_code, cause_params: p.cause_params });
    if (cause) return t("host.err_cannot_join", { cause });
  }
  if (err.status === 422) return t("host.err_invalid", { detail: err.describe() });
  if (err.status === 409) return t("host.err_conflict", { detail: err.describe() });
  return err.describe();
}

/** The form fields a problem points at: "body.scope.units.0" → "scope", field "start_at" → "start_at". */
export function problemFields(err) {
  const out = new Map();
  if (!(err instanceof ApiError)) return out;
  const top = (loc) => loc.replace(/^body\.?/, "").split(/[.[]/)[0];
  for (const e of err.errors) out.set(top(e.location) || "form", rowErrorText(e));
  if (err.problem.field) out.set(top(err.problem.field), err.problem.detail);
  if (err.status === 409 && err.problem.ports !== undefined) out.set("bridge", problemText(err));
  return out;
}

/** Every registered endpoint (the scope count and the search need them all). */
export async function loadAllEndpoints(api) {
  const out = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await api.get("endpoints", { limit: 1000, offset });
    out.push(...page.items);
    if (!page.items.length || out.length >= page.total) return out;
  }
}

export function endpointMatches(ep, query) {
  const q = fold(query).trim();
  if (!q) return true;
  return fold(`${ep.name} ${ep.unit?.name} ${ep.unit?.code} ${ep.host} ${ep.description || ""}`).includes(q);
}

/** A search box over endpoints with an action per result (add to scope, add to session). */
export function endpointSearch(endpoints, { action, limit = 30, id }) {
  const input = h("input", { type: "search", placeholder: t("host.search_ph"), "aria-label": t("host.search_ph"), class: "ep-search", id, autocomplete: "off" });
  const list = h("ul", { class: "ep-results" });
  function render() {
    const q = input.value.trim();
    if (!q) { list.replaceChildren(); list.hidden = true; return; }
    const found = endpoints.filter((ep) => endpointMatches(ep, q));
    list.hidden = false;
    fill(list,
      found.length ? null : h("li", { class: "muted" }, t("host.search_none")),
      found.slice(0, limit).map((ep) => h("li", { "data-endpoint": ep.name },
        h("span", { class: "ep-name" }, ep.name),
        h("span", { class: "ep-unit muted", title: ep.unit?.code }, ep.unit?.name),
        badge(ep.state, stateName(ep.state)),
        action(ep))),
      found.length > limit ? h("li", { class: "muted" }, t("host.search_more", { n: found.length - limit })) : null);
  }
  input.addEventListener("input", render);
  return { el: h("div", { class: "ep-search-box" }, input, list), render, input };
}
