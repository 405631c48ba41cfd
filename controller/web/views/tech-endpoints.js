/**
 * The "Điểm cầu" tab: the endpoint registry as a filtered, paged table (state
 * badges updated live from `events/stream`), row ticks that feed the job
 * scope, and the form that registers one endpoint.
 */
import { h, fill, when, badge } from "../lib/dom.js";
import { stream } from "../lib/sse.js";
import { t, stateName, language } from "../lib/i18n.js";
import { unitPicker } from "../lib/unit-picker.js";
import { timeOfDay } from "../lib/format.js";
import { reasonText } from "../lib/alarm-text.js";
import { field, showErrors, clearErrors, clearOnEdit, values, number } from "./tech-forms.js";

/** Endpoint states the monitor sets (controller/health/tracker.py). */
export const ENDPOINT_STATES = ["online", "in_call", "degraded", "offline", "unreachable", "auth_failed", "hostkey_mismatch", "hostkey_unpinned", "unknown"];
const PAGE_SIZES = [25, 50, 100, 200];

/** Today: the time only; otherwise date and time. A wall reads "13:49:02" faster than a full stamp. */
function seen(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  const today = new Date().toDateString() === d.toDateString();
  return today ? timeOfDay(d) : when(iso, language());
}

export function profileName(profiles, id) {
  const p = profiles.find((x) => x.id === id);
  return p ? `${p.summary.vendor || ""} ${p.summary.family || ""}`.trim() || id : id;
}

export function endpointsTab(ctx, shared) {
  const filters = { unit: "", state: "", profile: "", q: "", limit: 50, offset: 0 };
  let rows = new Map(); // endpoint id → { ep, health, tr }
  let request = 0;
  let created = null; // the endpoint just registered: shown by the next load even outside the filters

  // --- filters -----------------------------------------------------------------------
  // The unit: typed and picked (lib/unit-picker.js); its code is #ep-filter-unit's value.
  const unitPick = unitPicker(shared.roots, { id: "ep-filter-unit", blank: t("tech.all_units"), label: t("tech.unit") });
  const unitSel = unitPick.select;
  const stateSel = h("select", { id: "ep-filter-state", "aria-label": t("tech.state") },
    h("option", { value: "" }, t("tech.all_states")), ENDPOINT_STATES.map((s) => h("option", { value: s }, stateName(s))));
  const profileSel = h("select", { id: "ep-filter-profile", "aria-label": t("tech.vendor") },
    h("option", { value: "" }, t("tech.all_vendors")),
    shared.profiles.map((p) => h("option", { value: p.id }, profileName(shared.profiles, p.id))));
  const search = h("input", { id: "ep-filter-q", type: "search", placeholder: t("tech.search"), maxlength: 100, "aria-label": t("tech.search") });
  const live = h("span", { class: "muted live", id: "ep-live" });
  const stale = h("button", { type: "button", id: "ep-stale", hidden: true, onclick: () => load() }, t("tech.stale"));
  const registerBtn = h("button", { type: "button", class: "primary", id: "ep-register-open" }, t("tech.register"));

  let debounce = null;
  const changed = (key, value) => { filters[key] = value; filters.offset = 0; load(); };
  unitSel.addEventListener("change", () => changed("unit", unitSel.value));
  stateSel.addEventListener("change", () => changed("state", stateSel.value));
  profileSel.addEventListener("change", () => changed("profile", profileSel.value));
  search.addEventListener("input", () => { clearTimeout(debounce); debounce = setTimeout(() => changed("q", search.value.trim()), 300); });

  // --- table ---------------------------------------------------------------------------
  const all = h("input", { type: "checkbox", "aria-label": t("tech.select_page"),
    onchange: () => { for (const r of rows.values()) select(r.ep, all.checked); shared.selectionChanged(); } });
  const body = h("tbody", {});
  const empty = h("p", { class: "muted", hidden: true, id: "ep-empty" }, t("tech.no_endpoints"));
  const error = h("p", { class: "error", role: "alert" });
  const table = h("table", { id: "ep-table" },
    h("thead", {}, h("tr", {}, h("th", { class: "tick" }, all),
      [t("tech.col_name"), t("tech.unit"), t("tech.vendor"), t("tech.col_address"), t("tech.state"),
        t("tech.col_firmware"), t("tech.col_seen")].map((x) => h("th", {}, x)))),
    body);

  // --- paging and selection ------------------------------------------------------------------
  const total = h("span", { id: "ep-total", class: "muted" });
  const prev = h("button", { type: "button", id: "ep-prev", onclick: () => { filters.offset = Math.max(0, filters.offset - filters.limit); load(); } }, "‹");
  const next = h("button", { type: "button", id: "ep-next", onclick: () => { filters.offset += filters.limit; load(); } }, "›");
  const sizeSel = h("select", { "aria-label": t("tech.page_size"),
    onchange: () => { filters.limit = Number(sizeSel.value); filters.offset = 0; load(); } },
  PAGE_SIZES.map((n) => h("option", { value: n }, t("tech.per_page", { n }))));
  sizeSel.value = String(filters.limit);
  const selInfo = h("span", { id: "ep-selection" });
  const clearSel = h("button", { type: "button", hidden: true, onclick: () => { shared.selection.clear(); shared.selectionChanged(); } },
    t("tech.clear_selection"));

  function select(ep, on) {
    if (on) shared.selection.set(ep.id, { id: ep.id, name: ep.name, profile: ep.profile });
    else shared.selection.delete(ep.id);
  }

  /** Ticks and the "N selected" note follow `shared.selection`; changes go through shared.selectionChanged(). */
  function sync() {
    for (const r of rows.values()) r.tr.querySelector("input[type=checkbox]").checked = shared.selection.has(r.ep.id);
    all.checked = rows.size > 0 && [...rows.keys()].every((id) => shared.selection.has(id));
    const n = shared.selection.size;
    selInfo.textContent = n ? t("tech.selected", { n }) : "";
    clearSel.hidden = !n;
  }

  function renderRow(r) {
    const { ep, health } = r;
    const reason = reasonText("endpoint", { ...health, state: health?.state ?? ep.state });
    const box = h("input", { type: "checkbox", "aria-label": ep.name, checked: shared.selection.has(ep.id),
      onclick: (ev) => ev.stopPropagation(), onchange: (ev) => { select(ep, ev.target.checked); shared.selectionChanged(); } });
    r.tr.dataset.state = ep.state;
    fill(r.tr,
      h("td", { class: "tick" }, box),
      h("td", { class: "name" }, h("a", { href: `#/endpoint/${ep.id}`, onclick: (ev) => ev.stopPropagation() }, ep.name)),
      h("td", { class: "unit", title: ep.unit.code }, ep.unit.name),
      h("td", {}, profileName(shared.profiles, ep.profile)),
      h("td", { class: "addr" }, `${ep.host}:${ep.port}`),
      h("td", { class: "state" }, badge(ep.state, stateName(ep.state)),
        reason ? h("div", { class: "reason muted" }, reason) : null),
      h("td", { title: ep.model || "" }, ep.firmware_version || "—"),
      h("td", { class: "seen" }, seen(health?.last_ok_at || ep.last_contact_at)));
  }

  function addRow(ep, health, { first = false } = {}) {
    const tr = h("tr", { class: "clickable", "data-id": ep.id, "data-name": ep.name, onclick: () => ctx.go(`endpoint/${ep.id}`) });
    const r = { ep, health, tr };
    rows.set(ep.id, r);
    renderRow(r);
    if (first) body.prepend(tr); else body.append(tr);
    return r;
  }

  async function load() {
    const mine = ++request;
    const query = { unit: filters.unit, state: filters.state, profile: filters.profile, q: filters.q,
      limit: filters.limit, offset: filters.offset };
    try {
      // The list has no state reason or last poll; the monitor's health rows do (same unit/state filter).
      const [page, health] = await Promise.all([
        ctx.api.get("endpoints", query),
        ctx.api.get("health/endpoints", { unit: filters.unit, state: filters.state, limit: 1000 }).catch(() => ({ items: [] })),
      ]);
      if (mine !== request) return;
      stale.hidden = true;
      const byId = new Map(health.items.map((x) => [x.endpoint_id, x]));
      rows = new Map();
      body.replaceChildren();
      for (const ep of page.items) addRow(ep, byId.get(ep.id));
      if (created && !rows.has(created.id)) addRow(created, null, { first: true }).tr.classList.add("new");
      else if (created) rows.get(created.id).tr.classList.add("new");
      created = null; // shown once, even outside the filters; the next filter change is plain again
      error.textContent = "";
      // What the rows on screen were loaded for (tests and screen readers wait on it).
      Object.assign(table.dataset, { unit: filters.unit, state: filters.state, profile: filters.profile, q: filters.q, offset: page.offset });
      empty.hidden = page.items.length > 0;
      const from = page.total ? page.offset + 1 : 0;
      const to = page.offset + page.items.length;
      total.textContent = t("tech.range", { from, to, total: page.total });
      total.dataset.total = page.total;
      prev.disabled = page.offset === 0;
      next.disabled = to >= page.total;
      sync();
    } catch (err) {
      if (mine === request) error.textContent = err.describe?.() || String(err);
    }
  }

  /** A state change from the monitor: repaint that row's badge in place, nothing reloads. */
  function onState(type, data) {
    const r = rows.get(data.entity_id || data.endpoint_id);
    if (!data.new) return;
    // Under a state filter, an endpoint off this page may have just entered (or left) it:
    // say so instead of reshuffling the rows under the technician's cursor.
    if (!r && filters.state && data.new === filters.state) stale.hidden = false;
    if (!r) return;
    r.ep = { ...r.ep, state: data.new };
    r.health = { ...(r.health || {}), state: data.new, reason: data.reason, reason_params: data.reason_params || {}, ...(["online", "in_call", "degraded"].includes(data.new) ? { last_ok_at: data.at } : {}) };
    renderRow(r);
    r.tr.classList.remove("flash");
    void r.tr.offsetWidth; // restart the highlight animation
    r.tr.classList.add("flash");
    const outside = filters.state && filters.state !== data.new;
    r.tr.classList.toggle("outside", Boolean(outside));
    r.tr.title = outside ? t("tech.row_outside") : "";
  }

  const stopEvents = stream(ctx.api, "events/stream", onState, {
    query: { types: "endpoint.state" },
    onState: (s) => { live.textContent = s === "open" ? `● ${t("app.live")}` : s === "reconnecting" ? t("app.reconnecting") : ""; },
  });

  // --- register form -----------------------------------------------------------------------
  // After a registration the form closes and the new row (highlighted) is brought into view:
  // it may sort far down the list, and on a laptop the open form hides half of it.
  const form = registerForm(ctx, shared, async (ep) => {
    created = ep;
    showForm(false);
    await load();
    const tr = rows.get(ep.id)?.tr;
    if (tr) scroller.scrollTop = tr.offsetTop - scroller.clientHeight / 2; // the table only, not the page
  });
  function showForm(on) {
    form.el.hidden = !on;
    layout.classList.toggle("with-form", on);
    registerBtn.setAttribute("aria-expanded", String(on));
    if (on) form.focus();
  }
  registerBtn.addEventListener("click", () => showForm(form.el.hidden));

  const scroller = h("div", { class: "scroll ep-scroll" }, table, empty);
  const listPanel = h("section", { class: "panel endpoints" },
    h("h2", {}, t("tech.endpoints"), total, h("span", { class: "spacer" }), stale, live, registerBtn),
    h("div", { class: "row filters" }, unitPick.el, stateSel, profileSel, search),
    error,
    scroller,
    h("div", { class: "row pager" }, selInfo, clearSel, h("span", { class: "spacer" }), prev, next, sizeSel));
  const layout = h("div", { class: "tech-endpoints" }, listPanel, form.el);

  const offSelection = shared.onSelection(() => sync());
  load();
  return {
    el: layout,
    reload: load,
    stop() { stopEvents(); offSelection(); clearTimeout(debounce); },
  };
}

/** The create form, shaped like EndpointCreate (controller/schemas.py). */
function registerForm(ctx, shared, onCreated) {
  const input = (name, attrs = {}) => h("input", { id: `reg-${name}`, name, ...attrs });
  const unit = unitPicker(shared.roots, { id: "reg-unit", name: "unit", blank: t("tech.choose_unit"), label: t("tech.unit") });
  const profile = h("select", { id: "reg-profile", name: "profile" },
    h("option", { value: "" }, t("tech.choose_profile")),
    shared.profiles.map((p) => h("option", { value: p.id }, `${profileName(shared.profiles, p.id)} (${p.id})`)));
  const general = h("p", { class: "error", role: "alert", id: "reg-error" });
  const submit = h("button", { type: "submit", class: "primary", id: "reg-submit" }, t("tech.register_submit"));
  const form = h("form", { class: "register", id: "register", novalidate: true },
    h("div", { class: "form-grid" },
      field("name", t("tech.f_name"), input("name", { maxlength: 128, autocomplete: "off" })),
      field("unit", t("tech.unit"), unit.el),
      field("host", t("tech.f_host"), input("host", { placeholder: "10.20.30.40", autocomplete: "off" })),
      field("port", t("tech.f_port"), input("port", { value: "22", inputmode: "numeric" })),
      field("profile", t("tech.f_profile"), profile),
      field("username", t("tech.f_username"), input("username", { autocomplete: "off" })),
      field("password", t("tech.f_password"), input("password", { type: "password", autocomplete: "new-password" })),
      field("sip_uri", t("tech.f_sip"), input("sip_uri", { placeholder: "sip:xa-1@vc.tinh.gov.vn" })),
      field("host_key", t("tech.f_host_key"), h("textarea", { id: "reg-host_key", name: "host_key", rows: 2, placeholder: "ssh-ed25519 AAAA…" }),
        { hint: t("tech.f_host_key_hint"), wide: true }),
      field("description", t("tech.f_description"), h("textarea", { id: "reg-description", name: "description", rows: 2 }), { wide: true })),
    general,
    h("div", { class: "row" }, submit));
  clearOnEdit(form);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = values(form, ["name", "unit", "host", "port", "profile", "username", "password", "sip_uri", "host_key", "description"]);
    if ("port" in data) data.port = number(data.port);
    // Required fields go even when empty, so the API names each missing one.
    for (const name of ["name", "unit", "host", "profile", "username", "password"]) data[name] ??= "";
    submit.disabled = true;
    try {
      const ep = await ctx.api.post("endpoints", data);
      clearErrors(form, general);
      form.reset();
      ctx.toast(t("tech.registered", { name: ep.name }), "ok");
      await onCreated(ep);
    } catch (err) {
      showErrors(form, err, general);
    } finally {
      submit.disabled = false;
    }
  });

  const el = h("section", { class: "panel register-panel", hidden: true },
    h("h2", {}, t("tech.register_title")), form);
  return { el, focus: () => form.elements.name.focus() };
}
