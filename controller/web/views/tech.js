/**
 * The technician's view (#/tech, #/tech/<tab>): the endpoint registry, CSV
 * import, provisioning plan/apply and firmware campaigns, one tab each.
 *
 * Tabs are built the first time they are opened and then kept (hidden), so a
 * job followed live in one tab keeps its progress while the technician looks
 * at another. The ticks in the endpoint list are shared: provisioning and
 * campaigns can run on "the selected endpoints".
 */
import { h, useStyle } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { loadTree } from "../lib/units.js";
import "./tech-i18n.js";
import { endpointsTab } from "./tech-endpoints.js";
import { importTab } from "./tech-import.js";
import { provisionTab } from "./tech-provision.js";
import { firmwareTab } from "./tech-firmware.js";

const TABS = {
  endpoints: endpointsTab,
  import: importTab,
  provision: provisionTab,
  firmware: firmwareTab,
};

/** What the tabs share: the unit tree, the profiles, and the ticked endpoints. */
function sharedState(roots, profiles) {
  const listeners = new Set();
  const shared = {
    roots,
    profiles,
    selection: new Map(), // endpoint id → { id, name, profile }
    onSelection(fn) { listeners.add(fn); return () => listeners.delete(fn); },
    selectionChanged() { for (const fn of listeners) fn(); },
    endpointsChanged() {}, // set below: an import reloads the list
  };
  return shared;
}

/** The tab the address names now (#/tech/<tab>), not when the route was parsed: see mount(). */
function tabInAddress(fallback) {
  const [route, tab] = location.hash.replace(/^#\/?/, "").split("/");
  return route === "tech" ? tab : fallback;
}

export async function mount(el, ctx, _route, tabName) {
  useStyle("views/tech.css");
  let roots, profiles;
  try {
    [roots, profiles] = await Promise.all([loadTree(ctx.api), ctx.api.get("profiles")]);
  } catch (err) {
    el.append(h("p", { class: "error", role: "alert" }, err.describe?.() || String(err)));
    return () => {};
  }
  // Navigated away while loading (app.js may already be mounting the next view): build nothing.
  if (!el.isConnected) return () => {};
  const shared = sharedState(roots, profiles);
  const built = new Map(); // tab → { el, stop, reload? }
  const panes = h("div", { class: "tech-panes" });
  const buttons = Object.keys(TABS).map((name) =>
    h("button", { type: "button", role: "tab", id: `tech-tab-${name}`, "data-tab": name, onclick: () => show(name) },
      t(`tech.tab_${name}`)));
  shared.endpointsChanged = () => built.get("endpoints")?.reload?.();

  function show(name, { remember = true } = {}) {
    if (!TABS[name]) name = "endpoints";
    if (!built.has(name)) {
      const tab = TABS[name](ctx, shared);
      tab.el.dataset.pane = name;
      tab.el.setAttribute("role", "tabpanel");
      built.set(name, tab);
      panes.append(tab.el);
    } else if (name !== "endpoints") {
      built.get(name).reload?.(); // compliance may have moved since the tab was last open
    }
    for (const [n, tab] of built) tab.el.hidden = n !== name;
    for (const b of buttons) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    // A click remembers the tab in the address without re-routing, so a language switch or a
    // reload comes back here; the first tab is plain #/tech, the role's home address. Never on
    // mount: the address is already right, and rewriting it then could undo a navigation that
    // arrived while the view was loading.
    if (remember) history.replaceState(null, "", name === "endpoints" ? "#/tech" : `#/tech/${name}`);
  }

  // The page's heading for screen readers; the tabs say the rest on screen.
  el.append(h("h1", { class: "sr-only" }, t("nav.tech")), h("nav", { class: "tabs", role: "tablist" }, buttons), panes);
  // Read the address again: when a navigation lands while an earlier render is still loading,
  // app.js may attach that earlier render last, and its tab parameter is then out of date.
  show(tabInAddress(tabName) || "endpoints", { remember: false });
  let stopped = false;
  const stopAll = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(watch);
    for (const tab of built.values()) tab.stop();
  };
  // The same race can leave a mounted copy of this view off the page whose cleanup nobody
  // calls: it must not keep its streams open for the rest of the session.
  const watch = setInterval(() => { if (!el.isConnected) stopAll(); }, 5000);
  return stopAll;
}
