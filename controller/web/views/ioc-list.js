/**
 * #/list/endpoints?unit=<code>&state=<state>&q=<text> (or /list/cameras?...): the devices
 * behind a count. Every number of the IOC's unit tree opens this list with the same filters
 * the count was taken with (a unit's whole subtree, one state), so the rows are the count;
 * readable by every role, the IOC's viewers first. The filters stay in the address, so a
 * list can be bookmarked or sent to a technician.
 */
import { h, fill, badge, when, useStyle } from "../lib/dom.js";
import { t, stateName, register, language } from "../lib/i18n.js";
import { loadTree } from "../lib/units.js";
import { unitPicker } from "../lib/unit-picker.js";
import { describe } from "../lib/format.js";
import { STATE_ORDER } from "./ioc-units.js";
import "./ioc-i18n.js";

register({
  vi: {
    "list.title": "Danh sách thiết bị",
    "list.endpoints": "Điểm cầu",
    "list.cameras": "Camera",
    "list.unit": "Đơn vị",
    "list.all_units": "Toàn tỉnh",
    "list.state": "Trạng thái",
    "list.all_states": "Mọi trạng thái",
    "list.search": "Tìm theo tên, đơn vị, địa chỉ (không cần dấu)",
    "list.count_endpoints": "{n} điểm cầu",
    "list.count_cameras": "{n} camera",
    "list.shown": "Hiện {shown} trên {n}",
    "list.more": "Xem thêm",
    "list.none": "Không có thiết bị nào khớp bộ lọc.",
    "list.col_name": "Tên",
    "list.col_unit": "Đơn vị",
    "list.col_state": "Trạng thái",
    "list.col_since": "Từ lúc",
    "list.col_model": "Model / phần mềm",
    "list.col_contact": "Liên lạc gần nhất",
    "list.col_site": "Vị trí",
  },
  en: {
    "list.title": "Devices",
    "list.endpoints": "Endpoints",
    "list.cameras": "Cameras",
    "list.unit": "Unit",
    "list.all_units": "Whole province",
    "list.state": "State",
    "list.all_states": "Any state",
    "list.search": "Search name, unit, address (accents optional)",
    "list.count_endpoints": "{n} endpoints",
    "list.count_cameras": "{n} cameras",
    "list.shown": "Showing {shown} of {n}",
    "list.more": "Show more",
    "list.none": "No device matches the filters.",
    "list.col_name": "Name",
    "list.col_unit": "Unit",
    "list.col_state": "State",
    "list.col_since": "Since",
    "list.col_model": "Model / firmware",
    "list.col_contact": "Last contact",
    "list.col_site": "Site",
  },
});

const PAGE = 200;

/** The list's address for a kind and filters (what the unit tree's counts link to). */
export function listHref(kind, { unit, state, q } = {}) {
  const params = new URLSearchParams();
  if (unit) params.set("unit", unit);
  if (state) params.set("state", state);
  if (q) params.set("q", q);
  const query = params.toString();
  return `#/list/${kind}${query ? `?${query}` : ""}`;
}

export async function mount(el, ctx, _route, spec = "endpoints") {
  useStyle("views/ioc.css");
  const { api } = ctx;
  const [kindPart, query = ""] = spec.split("?");
  const kind = kindPart === "cameras" ? "cameras" : "endpoints";
  const filters = Object.fromEntries(new URLSearchParams(query));
  let alive = true;
  let items = [];

  // The unit picker comes with the tree (typed and picked, lib/unit-picker.js); its code is #list-unit's value.
  const unitSlot = h("span", { class: "unit-slot" },
    h("input", { type: "text", disabled: true, "aria-label": t("list.unit"), placeholder: t("app.loading") }));
  const stateSel = h("select", { id: "list-state", onchange: () => update({ state: stateSel.value }) },
    h("option", { value: "" }, t("list.all_states")),
    STATE_ORDER.map((s) => h("option", { value: s, selected: s === filters.state }, stateName(s))));
  const search = h("input", { type: "search", id: "list-q", value: filters.q || "", placeholder: t("list.search"),
    onchange: () => update({ q: search.value.trim() }) });
  const count = h("p", { class: "list-count", id: "list-count", "aria-live": "polite" });
  const body = h("tbody", {});
  const more = h("button", { type: "button", id: "list-more", hidden: true, onclick: () => load(items.length) }, t("list.more"));
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const tab = (k) => h("a", { href: listHref(k, filters), class: `tab${k === kind ? " current" : ""}`, "data-kind": k,
    "aria-current": k === kind ? "page" : null }, t(`list.${k}`));
  const head = kind === "endpoints"
    ? [t("list.col_name"), t("list.col_unit"), t("list.col_state"), t("list.col_model"), t("list.col_contact")]
    : [t("list.col_name"), t("list.col_unit"), t("list.col_state"), t("list.col_since"), t("list.col_site")];

  fill(el,
    h("div", { class: "row list-head" }, h("a", { href: "#/ioc" }, `← ${t("nav.ioc")}`), h("h1", {}, t("list.title")),
      h("nav", { class: "tabs", "aria-label": t("list.title") }, tab("endpoints"), tab("cameras"))),
    h("section", { class: "panel device-list" },
      h("div", { class: "row filters" },
        h("label", {}, h("span", { class: "label" }, t("list.unit")), unitSlot),
        h("label", {}, h("span", { class: "label" }, t("list.state")), stateSel),
        h("label", { class: "grow" }, h("span", { class: "label" }, t("list.search")), search)),
      count, error,
      h("div", { class: "scroll" }, h("table", { id: "list-table", "data-kind": kind },
        h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))), body)),
      more));

  /** New filters: into the address (bookmarkable), which re-opens the view with them. */
  function update(change) {
    const next = { ...filters, ...change };
    for (const [k, v] of Object.entries(next)) if (!v) delete next[k];
    ctx.go(listHref(kind, next).slice(2));
  }

  function row(item) {
    const href = `#/${kind === "endpoints" ? "endpoint" : "camera"}/${item.id}`;
    const cells = kind === "endpoints"
      ? [[item.model, item.firmware_version].filter(Boolean).join(" · ") || "—", when(item.last_contact_at, language())]
      : [when(item.state_since, language()), item.site || "—"];
    return h("tr", { "data-id": item.id, "data-name": item.name, "data-state": item.state },
      h("td", {}, h("a", { href }, item.name)),
      h("td", { title: item.unit.code }, item.unit.name),
      h("td", {}, badge(item.state, stateName(item.state))),
      cells.map((c) => h("td", {}, c)));
  }

  async function load(offset = 0) {
    try {
      const page = await api.get(kind, { unit: filters.unit, state: filters.state, q: filters.q, limit: PAGE, offset });
      if (!alive) return;
      items = offset ? items.concat(page.items) : page.items;
      if (!offset) fill(body);
      body.append(...page.items.map(row));
      if (!items.length) fill(body, h("tr", {}, h("td", { colspan: head.length, class: "muted" }, t("list.none"))));
      count.dataset.total = String(page.total);
      count.textContent = t(`list.count_${kind}`, { n: page.total })
        + (page.total > items.length ? ` · ${t("list.shown", { shown: items.length, n: page.total })}` : "");
      more.hidden = items.length >= page.total;
      error.hidden = true;
    } catch (err) {
      error.textContent = describe(err);
      error.hidden = false;
    }
  }

  loadTree(api).then((roots) => {
    if (!alive) return;
    const picker = unitPicker(roots, { id: "list-unit", value: filters.unit || "", blank: t("list.all_units"), label: t("list.unit"),
      onChange: (code) => update({ unit: code }) });
    unitSlot.replaceWith(picker.el);
  }, () => {});
  await load();
  return () => { alive = false; };
}
