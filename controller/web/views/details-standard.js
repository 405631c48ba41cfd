/**
 * The province standard as it applies to one unit, on an endpoint's details page: each
 * key's value (a template such as "sip:{slug}@vc.tinh.gov.vn"), and where it comes from:
 * this unit's own value, an ancestor's, or the province-wide one. Technicians and admins
 * set a value for this unit or drop this unit's own (the ancestor's applies again);
 * everyone else reads. The controller checks the scope: a district's technician cannot
 * change the province-wide value.
 */
import { h, fill } from "../lib/dom.js";
import { t, register } from "../lib/i18n.js";
import { flatten } from "../lib/units.js";

register({
  vi: {
    "standard.title": "Tiêu chuẩn tỉnh cho {unit}",
    "standard.help": "Cấu hình mà “Cấu hình điểm cầu này” đưa thiết bị về. Giá trị riêng của đơn vị thay cho giá trị cấp trên.",
    "standard.key": "Khóa",
    "standard.value": "Giá trị",
    "standard.from": "Áp dụng từ",
    "standard.province": "Toàn tỉnh",
    "standard.own": "Riêng đơn vị này",
    "standard.edit": "Đặt riêng",
    "standard.actions": "Thao tác",
    "standard.save": "Lưu",
    "standard.cancel": "Hủy",
    "standard.drop": "Dùng giá trị cấp trên",
    "standard.none": "Tỉnh chưa đặt tiêu chuẩn nào.",
    "standard.saved": "Đã đặt {key} cho {unit}",
    "standard.dropped": "{key} của {unit} theo cấp trên",
  },
  en: {
    "standard.title": "Province standard for {unit}",
    "standard.help": "What “Configure this endpoint” brings the device to. A unit's own value replaces the one above it.",
    "standard.key": "Key",
    "standard.value": "Value",
    "standard.from": "From",
    "standard.province": "Whole province",
    "standard.own": "This unit's own",
    "standard.edit": "Set for this unit",
    "standard.actions": "Actions",
    "standard.save": "Save",
    "standard.cancel": "Cancel",
    "standard.drop": "Use the value above",
    "standard.none": "The province has set no standard yet.",
    "standard.saved": "{key} set for {unit}",
    "standard.dropped": "{key} of {unit} follows the unit above",
  },
});

/** A unit's code and its ancestors' codes, nearest first, from the unit tree. */
export function unitChain(roots, code) {
  const parent = new Map();
  for (const { node } of flatten(roots)) for (const child of node.children || []) parent.set(child.code, node.code);
  const chain = [];
  for (let c = code; c; c = parent.get(c)) chain.push(c);
  return chain;
}

export function standardPanel(ctx, unit, chain, { canEdit }) {
  const { api } = ctx;
  const body = h("tbody", {});
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const el = h("section", { class: "panel standard", id: "details-standard" },
    h("h2", {}, t("standard.title", { unit: unit.name })),
    h("p", { class: "muted" }, t("standard.help")),
    error,
    h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("standard.key")), h("th", { scope: "col" }, t("standard.value")),
      h("th", { scope: "col" }, t("standard.from")), canEdit ? h("th", { scope: "col" }, h("span", { class: "sr-only" }, t("standard.actions"))) : null)), body));

  /** Per key: the nearest value along the chain (this unit, its parents, then "*"). */
  function effective(rows) {
    const rank = new Map([...chain.map((c, i) => [c, i]), ["*", chain.length]]);
    const best = new Map();
    for (const r of rows) {
      if (!rank.has(r.unit)) continue;
      const now = best.get(r.key);
      if (!now || rank.get(r.unit) < rank.get(now.unit)) best.set(r.key, r);
    }
    return [...best.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  async function load() {
    let rows;
    try { rows = await api.get("standards"); } catch (err) { error.textContent = err.describe?.() || String(err); error.hidden = false; return; }
    error.hidden = true;
    const shown = effective(rows);
    if (!shown.length) { fill(body, h("tr", {}, h("td", { colspan: 4, class: "muted" }, t("standard.none")))); return; }
    fill(body, shown.map(row));
  }

  function row(r) {
    const own = r.unit === unit.code;
    const from = own ? t("standard.own") : r.unit === "*" ? t("standard.province") : r.unit;
    const tr = h("tr", { "data-key": r.key, "data-from": r.unit },
      h("td", {}, h("code", {}, r.key)), h("td", { class: "value" }, r.value), h("td", { class: own ? "" : "muted" }, from));
    if (canEdit) {
      tr.append(h("td", { class: "row-actions" },
        h("button", { type: "button", "data-edit": r.key, onclick: () => editRow(tr, r) }, t("standard.edit")),
        own ? h("button", { type: "button", "data-drop": r.key, onclick: () => drop(r) }, t("standard.drop")) : null));
    }
    return tr;
  }

  function editRow(tr, r) {
    const input = h("input", { value: r.value, "aria-label": `${r.key} · ${unit.name}`, maxlength: 500, name: "value" });
    const problem = h("small", { class: "error", role: "alert" });
    const form = h("form", { class: "inline-edit", onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await api.send("PUT", `standards/${encodeURIComponent(r.key)}`, { value: input.value }, { unit: unit.code });
        ctx.toast(t("standard.saved", { key: r.key, unit: unit.name }), "ok");
        load();
      } catch (err) {
        problem.textContent = err.errors?.[0]?.reason || err.describe?.() || String(err);
      }
    } }, input, h("button", { type: "submit", class: "primary" }, t("standard.save")),
    h("button", { type: "button", onclick: () => load() }, t("standard.cancel")), problem);
    fill(tr.querySelector(".value"), form);
    input.focus();
  }

  async function drop(r) {
    try {
      await api.send("DELETE", `standards/${encodeURIComponent(r.key)}`, undefined, { unit: unit.code });
      ctx.toast(t("standard.dropped", { key: r.key, unit: unit.name }), "ok");
      load();
    } catch (err) {
      error.textContent = err.describe?.() || String(err);
      error.hidden = false;
    }
  }

  return { el, load };
}
