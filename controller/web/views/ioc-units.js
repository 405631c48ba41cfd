/**
 * The IOC's unit tree: every unit with live counts of its endpoints and cameras
 * by state (its whole subtree), worst first; a click filters the wall and the alarms.
 */
import { h } from "../lib/dom.js";
import { stateName } from "../lib/i18n.js";
import { unitTree } from "../lib/units.js";
import { describe } from "../lib/format.js";
import "./ioc-i18n.js";

/** Worst first, so the eye lands on what needs a technician. */
const STATE_ORDER = ["hostkey_mismatch", "hostkey_unpinned", "unreachable", "offline", "stalled", "auth_failed", "degraded",
  "hostkey_pending", "unknown", "in_call", "online"];

function sortedStates(counts = {}) {
  const rank = (s) => { const i = STATE_ORDER.indexOf(s); return i < 0 ? STATE_ORDER.length : i; };
  return Object.entries(counts).filter(([, n]) => n > 0).sort(([a], [b]) => rank(a) - rank(b));
}

export function unitPanel(ctx, roots, onSelect) {
  const { api, t } = ctx;
  const counts = new Map(); // unit code → summary entry
  const group = (kind, byState, total) => (total ? h("span", {
    class: `counts ${kind}`, "data-kind": kind, "data-total": total, title: `${t(`ioc.${kind}`)}: ${total}`,
  }, h("span", { class: "kind" }, t(`ioc.${kind}_short`)),
  sortedStates(byState).map(([state, n]) =>
    h("span", { class: `badge s-${state}`, "data-state": state, "data-count": n, title: `${stateName(state)}: ${n}` }, n))) : null);
  const tree = unitTree(roots, {
    open: 2,
    onSelect,
    extra: (node) => {
      const entry = counts.get(node.code);
      if (!entry) return null;
      return [group("ep", entry.counts, entry.total), group("cam", entry.cameras, entry.cameras_total || 0)];
    },
  });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const legend = h("span", { class: "legend muted" },
    h("span", {}, `${t("ioc.ep_short")} = ${t("ioc.ep")}`), " · ", h("span", {}, `${t("ioc.cam_short")} = ${t("ioc.cam")}`));
  const el = h("section", { class: "panel units", id: "ioc-units" },
    h("h2", {}, t("ioc.units"), legend), error, h("div", { class: "scroll" }, tree.el));

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
