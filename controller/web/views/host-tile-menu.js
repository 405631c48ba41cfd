/**
 * A participant's menu on the live board: what the compact tile cannot say (unit, cause,
 * attempts, drops) and the per-participant actions (mute, redial, remove). One menu at a
 * time, beside its tile; it follows the participant live while open, Esc or a click
 * elsewhere closes it and gives the focus back to the tile.
 */
import { h, fill, badge } from "../lib/dom.js";
import { t, stateName } from "../lib/i18n.js";
import { HOLDING, causeText } from "./host-common.js";

/** ``actions(p)`` → [{kind, label, danger}]; ``act(button, p, kind)`` runs one. */
export function tileMenu({ act, actions }) {
  const menu = h("div", { class: "tile-menu", id: "host-tile-menu", role: "dialog", hidden: true, "aria-labelledby": "host-tile-menu-title",
    onkeydown: (ev) => { if (ev.key === "Escape") { ev.stopPropagation(); close(); } } });
  let openKey = null;
  let anchor = null;
  let current = null;

  function open(key, p, at) {
    openKey = key;
    anchor = at;
    current = p;
    render();
    menu.hidden = false;
    place();
    (menu.querySelector("[data-action]") || menu.querySelector("button")).focus();
  }

  function render() {
    const p = current;
    if (!p) return;
    const meta = [t("host.attempts", { n: p.attempts })];
    if (p.drops) meta.push(t("host.drops", { n: p.drops }));
    if (p.wait_free) meta.push(t("matrix.wait_free"));
    fill(menu,
      h("div", { class: "row" }, h("h3", { id: "host-tile-menu-title" }, p.endpoint_name), h("span", { class: "spacer" }),
        h("button", { type: "button", class: "x", "aria-label": t("host.close"), onclick: close }, "×")),
      h("p", { class: "muted" }, `${p.unit_name} · ${p.unit_code}`),
      h("div", { class: "pt-state" }, badge(p.state, stateName(p.state)),
        p.muted && p.state === "connected" ? h("span", { class: "badge s-muted", "data-muted": "" }, t("host.muted")) : null),
      p.cause ? h("p", { class: "pt-cause", "data-code": p.cause_code || "" }, causeText(p)) : null,
      h("p", { class: "pt-meta muted" }, meta.join(" · ")),
      h("div", { class: "pt-actions" }, actions(p).map(({ kind, label, danger }) => h("button", { type: "button",
        class: danger ? "danger" : "", "data-action": kind, onclick: (ev) => act(ev.currentTarget, p, kind) }, label))));
  }

  /** Beside the tile, inside the window. */
  function place() {
    const r = anchor.getBoundingClientRect();
    const m = menu.getBoundingClientRect();
    const left = Math.min(Math.max(8, r.left), window.innerWidth - m.width - 8);
    const below = r.bottom + 4 + m.height < window.innerHeight;
    menu.style.left = `${left + window.scrollX}px`;
    menu.style.top = `${(below ? r.bottom + 4 : Math.max(8, r.top - m.height - 4)) + window.scrollY}px`;
  }

  function close() {
    if (menu.hidden) return;
    menu.hidden = true;
    const back = anchor;
    openKey = anchor = current = null;
    if (back?.isConnected) back.focus();
  }

  /** The participant changed while its menu is open: show it as it is now. */
  function refresh(key, p) {
    if (key !== openKey || menu.hidden) return;
    const focused = document.activeElement?.dataset?.action;
    current = p;
    render();
    const again = focused && menu.querySelector(`[data-action="${focused}"]`);
    if (again) again.focus();
  }

  const outside = (ev) => {
    if (!menu.hidden && !menu.contains(ev.target) && !anchor?.contains(ev.target)) close();
  };
  document.addEventListener("pointerdown", outside);
  return { el: menu, open, close, refresh, dispose: () => { document.removeEventListener("pointerdown", outside); menu.remove(); } };
}

/** The actions a participant offers on a live session (the same rules as the tiles had). */
export function participantActions(p, live) {
  if (!live || !p.endpoint_id) return [];
  const out = [];
  if (p.state === "connected") out.push({ kind: "mute", label: p.muted ? t("host.unmute") : t("host.mute") });
  if (!["connected", "waiting", "dialling", "ringing"].includes(p.state) || (p.state === "waiting" && p.cause)) {
    out.push({ kind: "redial", label: t("host.redial") });
  }
  if (HOLDING.has(p.state)) out.push({ kind: "remove", label: t("host.remove"), danger: true });
  return out;
}
