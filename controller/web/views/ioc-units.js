/**
 * The IOC's unit tree: every unit with live counts of its endpoints and cameras
 * by state (its whole subtree), worst first; a click on a name filters the wall and the
 * alarms, a click on a count opens the list of those devices (ioc-list.js). Each count
 * says what it counts (its label is read out, its glyph differs per state group) and a
 * legend names the colours.
 */
import { h } from "../lib/dom.js";
import { listHref } from "./ioc-list.js";
import { stateName } from "../lib/i18n.js";
import { unitTree } from "../lib/units.js";
import { describe } from "../lib/format.js";
import "./ioc-i18n.js";

/** Worst first, so the eye lands on what needs a technician. */
export const STATE_ORDER = ["hostkey_mismatch", "hostkey_unpinned", "unreachable", "offline", "stalled", "auth_failed", "degraded",
  "hostkey_pending", "unknown", "in_call", "online"];

/** The states a province usually sees, in the legend. */
const LEGEND = ["online", "in_call", "degraded", "offline", "unreachable", "stalled", "auth_failed", "hostkey_mismatch", "unknown"];

function sortedStates(counts = {}) {
  const rank = (s) => { const i = STATE_ORDER.indexOf(s); return i < 0 ? STATE_ORDER.length : i; };
  return Object.entries(counts).filter(([, n]) => n > 0).sort(([a], [b]) => rank(a) - rank(b));
}

export function unitPanel(ctx, roots, onSelect) {
  const { api, t } = ctx;
  const counts = new Map(); // unit code → summary entry
  const group = (node, kind, byState, total) => {
    if (!total) return null;
    const what = t(`ioc.${kind}`);
    const path = kind === "ep" ? "endpoints" : "cameras";
    return h("span", { class: `counts ${kind}`, "data-kind": kind, "data-total": total },
      h("a", { class: "kind", href: listHref(path, { unit: node.code }), title: `${what}: ${total}`,
        // the visible text starts the name (a speech user says what they see)
        "aria-label": `${t(`ioc.${kind}_short`)} – ${t("ioc.count_all", { unit: node.name, n: total, what })}` }, t(`ioc.${kind}_short`)),
      sortedStates(byState).map(([state, n]) => h("a", {
        class: `badge s-${state}`, href: listHref(path, { unit: node.code, state }), "data-state": state, "data-count": n,
        title: `${stateName(state)}: ${n}`, "aria-label": t("ioc.count_state", { unit: node.name, n, what, state: stateName(state) }),
      }, n)));
  };
  const tree = unitTree(roots, {
    open: 2,
    onSelect,
    extra: (node) => {
      const entry = counts.get(node.code);
      if (!entry) return null;
      return [group(node, "ep", entry.counts, entry.total), group(node, "cam", entry.cameras, entry.cameras_total || 0)];
    },
  });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const legend = h("details", { class: "legend", id: "ioc-legend" },
    h("summary", {}, t("ioc.legend")),
    h("p", { class: "muted" }, `${t("ioc.ep_short")} = ${t("ioc.ep")} · ${t("ioc.cam_short")} = ${t("ioc.cam")} · ${t("ioc.legend_click")}`),
    h("ul", { class: "legend-states" }, LEGEND.map((state) => h("li", {}, h("span", { class: `badge s-${state}` }, stateName(state))))));
  const el = h("section", { class: "panel units", id: "ioc-units" },
    h("h2", {}, t("ioc.units")), legend, error, h("div", { class: "scroll" }, tree.el));

  async function refresh() {
    try {
      const data = await api.get("health/summary");
      counts.clear();
      for (const u of data.units) counts.set(u.unit, u);
      tree.refresh();
      error.hidden = true;
    } catch (err) {
      error.textContent = t("ioc.summary_failed", { detail: describe(err) });
      error.hidden = false;
    }
  }

  /** Select a unit as if clicked (from an alarm on a unit, or the remembered choice). */
  function select(code) {
    const name = tree.el.querySelector(`.name[data-unit="${CSS.escape(code)}"]`);
    if (!name) return false;
    for (let li = name.closest("li")?.parentElement; li && li !== tree.el; li = li.parentElement) {
      if (li.tagName === "UL" && li.hidden) {
        li.hidden = false;
        const toggle = li.parentElement?.querySelector(":scope > div > .toggle");
        if (toggle) toggle.textContent = "▾";
      }
    }
    name.click();
    name.scrollIntoView({ block: "nearest" });
    return true;
  }

  function unselect() {
    for (const row of tree.el.querySelectorAll(".selected")) row.classList.remove("selected");
  }

  return { el, refresh, select, unselect };
}
