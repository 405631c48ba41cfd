/** #/host/new: a new session; the scope picked on the unit tree, from saved scopes or by search; start now or schedule. */
import { h, fill } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { loadTree, flatten, unitTree } from "../lib/units.js";
import { stream, coalesce } from "../lib/sse.js";
import { CALL_RATES, at, problemText, problemFields, loadAllEndpoints, endpointSearch } from "./host-common.js";
import { confirmBox, closeDialogs } from "../lib/dialog.js";
import { unreadySummary } from "./host-unready.js";
import "./host-i18n.js";

/**
 * The scope picker: units on the shared tree (checked = with every unit below,
 * or "this unit only"), single endpoints from a search, and the exact count the
 * controller will resolve (computed here from the registry, the same rule as
 * controller/sessions/scope.py).
 */
function scopePicker(roots, endpoints, onChange) {
  const flat = flatten(roots);
  const byCode = new Map(flat.map(({ node, depth }) => [node.code, { node, depth }]));
  const codeById = new Map(flat.map(({ node }) => [node.id, node.code]));
  const parent = new Map();
  for (const { node } of flat) for (const child of node.children || []) parent.set(child.code, node.code);
  const direct = new Map();
  for (const ep of endpoints) direct.set(ep.unit?.code, (direct.get(ep.unit?.code) || 0) + 1);
  const epById = new Map(endpoints.map((ep) => [ep.id, ep]));

  const only = new Set(); // checked units taken without the units below them
  const picked = new Map(); // endpoint id → endpoint
  let checkedSet = new Set();

  const tree = unitTree(roots, { checkable: true, open: 2, extra: unitExtra });
  tree.el.classList.add("scope-tree");
  tree.el.addEventListener("change", (ev) => {
    if (ev.target.matches("input[type=checkbox]") && !ev.target.checked) only.delete(ev.target.value);
    changed();
  });

  function unitExtra(node) {
    const checked = checkedSet.has(node.code);
    const alone = checked && only.has(node.code);
    const n = alone ? direct.get(node.code) || 0 : node.endpoints;
    const count = h("span", { class: "ucount", title: t("host.unit_endpoints") }, String(n));
    if (!checked || !(node.children || []).length) return count;
    const mode = h("button", { type: "button", class: `mode${alone ? " alone" : ""}`, "data-mode-for": node.code,
      "aria-pressed": String(alone), onclick: () => { setOnly(node.code, !alone); changed(); } },
      alone ? t("host.only_unit") : t("host.with_below"));
    return [mode, count];
  }

  /** "This unit only" frees the units below it to be picked one by one; back to the subtree clears them. */
  function setOnly(code, on) {
    if (on) {
      only.add(code);
      const li = tree.el.querySelector(`li[data-unit="${CSS.escape(code)}"]`);
      for (const box of li?.querySelectorAll(":scope > ul input[type=checkbox]") || []) box.disabled = false;
      // Open the unit: the host usually frees its children to pick some of them.
      if (li?.querySelector(":scope > ul")?.hidden) li.querySelector(":scope > div .toggle")?.click();
    } else {
      only.delete(code);
      tree.check(code, true); // the tree's own handler clears and disables everything below
    }
  }

  // A search over the tree: the matching units and their ancestors stay; emptied, the tree is as it was.
  const unitsFound = h("p", { class: "muted units-found", id: "host-unit-found", role: "status" });
  const unitSearch = h("input", { type: "search", id: "host-unit-search", class: "unit-search", autocomplete: "off",
    placeholder: t("host.units_search"), "aria-label": t("host.units_search"), "aria-controls": "host-unit-tree",
    // Enter here searches; it must not start the session.
    onkeydown: (ev) => { if (ev.key === "Enter") ev.preventDefault(); } });
  const searchUnits = () => {
    const q = unitSearch.value.trim();
    const n = tree.filter(q);
    unitsFound.textContent = !q ? "" : n ? t("host.units_found", { n }) : t("host.units_none");
  };
  unitSearch.addEventListener("input", searchUnits);
  unitSearch.addEventListener("search", searchUnits);
  tree.el.id = "host-unit-tree";

  const search = endpointSearch(endpoints, { id: "host-ep-search", action: (ep) => {
    if (picked.has(ep.id)) return h("button", { type: "button", disabled: true }, t("host.picked"));
    if (coveredByUnits(ep)) return h("button", { type: "button", disabled: true, title: t("host.covered") }, t("host.covered"));
    return h("button", { type: "button", "data-add": ep.name, onclick: () => { picked.set(ep.id, ep); changed(); } }, t("host.add"));
  } });
  const chips = h("div", { class: "chips", id: "host-picked" });

  function units() {
    return tree.checked().map((n) => ({ unit: n.code, subtree: !only.has(n.code) }));
  }

  function coveredByUnits(ep, chosen = new Map(units().map((u) => [u.unit, u.subtree]))) {
    const code = ep.unit?.code;
    if (chosen.has(code)) return true;
    for (let up = parent.get(code); up; up = parent.get(up)) if (chosen.get(up) === true) return true;
    return false;
  }

  function selected() {
    const chosen = new Map(units().map((u) => [u.unit, u.subtree]));
    return endpoints.filter((ep) => picked.has(ep.id) || coveredByUnits(ep, chosen));
  }

  function changed() {
    checkedSet = new Set(tree.checked().map((n) => n.code));
    for (const code of [...only]) if (!checkedSet.has(code)) only.delete(code);
    tree.refresh();
    fill(chips, [...picked.values()].map((ep) => h("span", { class: "chip", "data-endpoint": ep.name },
      ep.name,
      h("button", { type: "button", class: "x", "aria-label": t("host.unpick", { name: ep.name }), title: t("host.unpick", { name: ep.name }),
        onclick: () => { picked.delete(ep.id); changed(); } }, "×"))));
    search.render();
    onChange();
  }

  function clear() {
    for (const n of tree.checked()) tree.check(n.code, false);
    only.clear();
    picked.clear();
  }

  /** Show a saved scope in the picker (unit ids or codes, parents first so "only" can free their children). */
  function apply(scope) {
    clear();
    const items = (scope.units || [])
      .map((u) => ({ code: byCode.has(u.unit) ? u.unit : codeById.get(u.unit), subtree: u.subtree !== false }))
      .filter((u) => u.code)
      .sort((a, b) => byCode.get(a.code).depth - byCode.get(b.code).depth);
    for (const u of items) {
      tree.check(u.code, true);
      if (!u.subtree) setOnly(u.code, true);
    }
    for (const id of scope.endpoints || []) if (epById.has(id)) picked.set(id, epById.get(id));
    changed();
  }

  const el = h("div", { class: "scope-picker" },
    h("h3", {}, t("host.units")),
    h("p", { class: "muted hint" }, t("host.units_hint")),
    unitSearch,
    unitsFound,
    h("div", { class: "tree-box" }, tree.el),
    h("h3", {}, t("host.endpoints")),
    search.el,
    chips);
  changed();
  return { el, scope: () => ({ units: units(), endpoints: [...picked.keys()] }), selected, apply, clear };
}

/** Two scopes select the same thing (order aside): the saved scope is then sent by id. */
function sameScope(a, b, codeById) {
  const norm = (s) => JSON.stringify({
    units: (s.units || []).map((u) => `${codeById.get(u.unit) || u.unit}:${u.subtree !== false}`).sort(),
    endpoints: [...(s.endpoints || [])].sort(),
  });
  return norm(a) === norm(b);
}

/** "2025-11-24T09:00" in local time, an hour from now on the quarter: the usual first guess. */
function nextQuarterHour() {
  const d = new Date(Date.now() + 3600_000);
  d.setMinutes(Math.ceil(d.getMinutes() / 15) * 15, 0, 0);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export async function mountNew(el, ctx) {
  const { api } = ctx;
  fill(el, h("p", { class: "muted" }, t("app.loading")));
  let roots, endpoints, bridges, scopes;
  try {
    [roots, endpoints, bridges, scopes] = await Promise.all([
      loadTree(api), loadAllEndpoints(api), api.get("bridges"), api.get("scopes")]);
  } catch (err) {
    fill(el, h("p", { class: "error", role: "alert" }, problemText(err)));
    return () => {};
  }
  const codeById = new Map(flatten(roots).map(({ node }) => [node.id, node.code]));

  // Per-field error slots: a refused request is explained next to what caused it.
  const slots = {};
  const slot = (name) => (slots[name] = h("small", { class: "error field-error", "data-error-for": name, role: "alert" }));
  const field = (name, label, input, hint) => h("label", { class: "field", "data-field": name },
    h("span", { class: "label" }, label), input, hint ? h("small", { class: "muted" }, hint) : null, slot(name));

  const count = h("p", { class: "scope-count", id: "host-scope-count", "data-count": "0", "aria-live": "polite" });
  const unready = unreadySummary();
  let picker = null; // the picker reports its first change while it is being built
  picker = scopePicker(roots, endpoints, () => {
    const sel = picker ? picker.selected() : [];
    count.textContent = t("host.scope_count", { n: sel.length });
    count.dataset.count = String(sel.length);
    unready.update(sel);
    if (sel.length) clearError("scope");
  });
  picker.apply({ units: [], endpoints: [] });
  // The "not ready" groups follow the monitor while the form is open: a codec that joins
  // another call meanwhile is listed before the start, not found busy after it.
  const byId = new Map(endpoints.map((ep) => [ep.id, ep]));
  const recount = coalesce(() => unready.update(picker.selected()), 500);
  const stopStates = stream(api, "events/stream", (type, data) => {
    const ep = byId.get(data?.entity_id);
    if (!ep || !data.new) return;
    ep.state = data.new;
    recount();
  }, { query: { types: "endpoint.state" } });

  // Saved scopes: pick one to load it into the picker; if left unchanged it is sent by id.
  let applied = null;
  const savedSelect = h("select", { id: "host-saved-scope", "aria-label": t("host.saved_scope"),
    onchange: () => {
      applied = scopes.find((s) => s.id === savedSelect.value) || null;
      if (applied) picker.apply(applied.scope);
      delSaved.disabled = !applied;
    } });
  const delSaved = h("button", { type: "button", class: "danger", id: "host-delete-scope", disabled: true, title: t("host.saved_scope_delete"),
    onclick: deleteSaved }, t("host.delete"));
  function fillSaved() {
    fill(savedSelect, h("option", { value: "" }, t("host.saved_scope_pick")),
      scopes.map((s) => h("option", { value: s.id, selected: applied?.id === s.id }, s.name)));
    delSaved.disabled = !applied;
  }
  fillSaved();
  async function deleteSaved() {
    if (!applied || !(await confirmBox(t("host.saved_scope_confirm_delete", { name: applied.name }), { danger: true }))) return;
    try {
      await api.del(`scopes/${applied.id}`);
      ctx.toast(t("host.saved_scope_deleted", { name: applied.name }), "ok");
      scopes = scopes.filter((s) => s.id !== applied.id);
      applied = null;
      fillSaved();
    } catch (err) {
      showError("saved_scope", problemText(err));
    }
  }
  const scopeName = h("input", { id: "host-scope-name", placeholder: t("host.save_scope_ph"), "aria-label": t("host.save_scope_ph"), maxlength: 100 });
  const saveScope = h("button", { type: "button", id: "host-save-scope", onclick: async () => {
    clearError("name");
    const name = scopeName.value.trim();
    if (!name) { showError("name", t("host.scope_name_needed")); return; }
    if (!picker.selected().length) { showError("scope", t("host.scope_empty")); return; }
    saveScope.disabled = true;
    try {
      const row = await api.post("scopes", { name, scope: picker.scope() });
      scopes = [...scopes, row].sort((a, b) => a.name.localeCompare(b.name));
      applied = row;
      fillSaved();
      scopeName.value = "";
      ctx.toast(t("host.scope_saved", { name }), "ok");
    } catch (err) {
      showError(problemFields(err).has("scope") ? "scope" : "name", problemText(err));
    } finally {
      saveScope.disabled = false;
    }
  } }, t("host.save_scope"));

  // Session settings.
  const title = h("input", { id: "host-title", name: "title", maxlength: 300, placeholder: t("host.title_ph"), autocomplete: "off" });
  const modeNow = h("input", { type: "radio", name: "when", value: "now", checked: true, onchange: syncMode });
  const modeLater = h("input", { type: "radio", name: "when", value: "schedule", onchange: syncMode });
  const startAt = h("input", { type: "datetime-local", id: "host-start-at", value: nextQuarterHour() });
  const minutes = h("input", { type: "number", id: "host-duration", min: 1, max: 1440, step: 1, placeholder: t("host.duration_ph") });
  const bridge = h("select", { id: "host-bridge", onchange: syncProtocols },
    bridges.map((b) => h("option", { value: b.id }, t("host.bridge_ports", { name: b.name, ports: b.ports, in_use: b.in_use }))));
  const conference = h("input", { id: "host-conference", maxlength: 64, placeholder: t("host.conference_ph"), autocomplete: "off" });
  const rate = h("select", { id: "host-rate" }, CALL_RATES.map((r) => h("option", { value: r, selected: r === 1920 }, String(r))));
  const protocol = h("select", { id: "host-protocol" });
  const formError = h("p", { class: "error form-error", id: "host-new-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary big", id: "host-start" });
  const startAtField = field("start_at", t("host.start_at"), startAt);

  function syncMode() {
    const later = modeLater.checked;
    startAtField.hidden = !later;
    submit.textContent = later ? t("host.schedule") : t("host.start_now");
  }
  /** Offer only the protocols the chosen bridge has a dial pattern for. */
  function syncProtocols() {
    const b = bridges.find((x) => x.id === bridge.value);
    const keep = protocol.value || "sip";
    fill(protocol, ["sip", "h323"].map((p) => {
      const ok = !b || Boolean(b[`${p}_pattern`]);
      return h("option", { value: p, disabled: !ok, selected: p === keep && ok }, ok ? p.toUpperCase() : t("host.protocol_missing", { protocol: p.toUpperCase() }));
    }));
  }
  syncMode();
  syncProtocols();

  function clearError(name) {
    if (slots[name]) slots[name].textContent = "";
    slots[name]?.closest(".field, .panel")?.removeAttribute("data-invalid");
  }
  function clearErrors() {
    for (const name of Object.keys(slots)) clearError(name);
    formError.textContent = "";
  }
  function showError(name, text) {
    const target = slots[name] || formError;
    target.textContent = text;
    target.closest(".field, .panel")?.setAttribute("data-invalid", "");
  }

  async function onSubmit(ev) {
    ev.preventDefault();
    clearErrors();
    const scope = picker.scope();
    if (!picker.selected().length) { showError("scope", t("host.scope_empty")); formError.textContent = t("host.scope_empty"); return; }
    const body = { title: title.value, call_rate: Number(rate.value), protocol: protocol.value };
    if (bridges.length > 1) body.bridge = bridge.value;
    if (conference.value.trim()) body.conference_id = conference.value.trim();
    if (applied && sameScope(applied.scope, scope, codeById)) body.saved_scope = applied.id;
    else body.scope = scope;
    if (modeLater.checked) {
      if (!startAt.value) { showError("start_at", t("host.start_at_needed")); return; }
      body.start_at = new Date(startAt.value).toISOString(); // the browser's zone, sent as UTC
    }
    if (minutes.value !== "") body.duration_min = Number(minutes.value);
    body.unready = unready.choices();
    submit.disabled = true;
    submit.textContent = t("host.starting");
    try {
      const session = await api.post("sessions", body);
      if (session.status === "scheduled") {
        ctx.toast(t("host.scheduled_ok", { title: session.title, time: at(session.start_at) }), "ok");
        ctx.go("host");
      } else {
        ctx.go(`host/${session.id}`);
      }
    } catch (err) {
      formError.textContent = problemText(err);
      for (const [name, reason] of problemFields(err)) if (slots[name]) showError(name, name === "bridge" ? problemText(err) : reason);
    } finally {
      submit.disabled = false;
      syncMode();
    }
  }

  const scopePanel = h("section", { class: "panel scope-panel", "data-field": "scope" },
    h("h2", {}, t("host.scope")),
    h("div", { class: "row saved" }, h("span", { class: "label" }, t("host.saved_scope")), savedSelect, delSaved),
    slot("saved_scope"),
    picker.el,
    h("div", { class: "row save-scope" }, scopeName, saveScope),
    slot("name"));
  const settings = h("section", { class: "panel settings-panel" },
    h("h2", {}, t("host.settings")),
    field("title", t("host.title"), title),
    h("fieldset", { class: "field when" }, h("legend", {}, t("host.when")),
      h("label", { class: "radio" }, modeNow, t("host.start_now")),
      h("label", { class: "radio" }, modeLater, t("host.schedule"))),
    startAtField,
    field("duration_min", t("host.duration"), minutes, t("host.duration_hint")),
    field("bridge", t("host.bridge"), bridge),
    h("div", { class: "row two" },
      field("conference_id", t("host.conference_id"), conference, t("host.conference_hint")),
      field("call_rate", t("host.call_rate"), rate),
      field("protocol", t("host.protocol"), protocol)),
    h("div", { class: "summary" }, count, unready.el, slot("scope"), slot("unready")),
    formError,
    h("div", { class: "row actions" },
      h("button", { type: "button", onclick: () => ctx.go("host") }, t("host.cancel")), submit));

  fill(el,
    h("div", { class: "row host-head" }, h("a", { href: "#/host" }, t("host.back")), h("h1", {}, t("host.new"))),
    h("form", { class: "host-new", id: "host-new-form", novalidate: true, onsubmit: onSubmit }, scopePanel, settings));
  title.focus();
  return () => { stopStates(); recount.cancel(); closeDialogs(); };
}
