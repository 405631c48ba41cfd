/**
 * The IOC view (#/ioc), made for a 1920x1080 video wall and usable on a laptop:
 * the unit tree with live counts of endpoints and cameras by state, the camera
 * wall (WHEP, one <video> per camera, a page at a time), and the active alarms
 * with acknowledgement for the roles the API lets acknowledge.
 *
 * Live without reloading: events/stream (endpoint.state, camera.state, alarm.*)
 * only says *that* something changed; the view then re-reads the summary and
 * the alarm list (coalesced, at most about once a second), so what is shown is
 * always what the controller holds, filters included, and a missed event costs
 * nothing but a moment.
 */
import { h, fill, useStyle } from "../lib/dom.js";
import { loadTree, flatten } from "../lib/units.js";
import { stream, coalesce } from "../lib/sse.js";
import { describe, timeOfDay } from "../lib/format.js";
import "./ioc-i18n.js";
import { unitPanel } from "./ioc-units.js";
import { alarmPanel } from "./ioc-alarms.js";
import { cameraWall } from "./ioc-wall.js";

export function mount(el, ctx) {
  useStyle("views/ioc.css");
  const { api, t } = ctx;
  let alive = true;
  let stopStream = () => {};
  const timers = [];
  const parts = {};

  const live = h("span", { class: "live muted", id: "ioc-live" }, t("app.loading"));
  const updated = h("span", { class: "muted", id: "ioc-updated" });
  const unitChip = h("button", { type: "button", class: "chip", hidden: true, title: t("ioc.clear_unit"),
    onclick: () => chooseUnit(null) });
  const grid = h("div", { class: "grid layout-ioc" }, h("p", { class: "muted" }, t("app.loading")));
  fill(el, h("h1", { class: "sr-only" }, t("nav.ioc")),
    h("div", { class: "row ioc-bar" }, h("strong", {}, t("ioc.title")), live, updated, unitChip), grid);

  let chosen; // the unit code shown (null: all); undefined before the first choice
  function chooseUnit(node) {
    const unit = node ? { code: node.code, name: node.name } : null;
    if ((unit?.code ?? null) === chosen) return; // the same again: keep the players running
    chosen = unit?.code ?? null;
    if (unit) sessionStorage.setItem("diemcau.ioc.unit", unit.code);
    else { sessionStorage.removeItem("diemcau.ioc.unit"); parts.units?.unselect(); }
    unitChip.hidden = !unit;
    unitChip.textContent = unit ? `${t("ioc.unit_filter", { name: unit.name })} ✕` : "";
    parts.alarms?.setUnit(unit);
    parts.wall?.setUnit(unit);
  }

  const touch = () => { updated.textContent = t("ioc.updated", { time: timeOfDay(new Date()) }); };
  const refreshSummary = coalesce(async () => { await parts.units?.refresh(); touch(); }, 1000);

  function onEvent(type, data) {
    if (!alive) return;
    if (type === "endpoint.state" || type === "camera.state") refreshSummary();
    if (type === "camera.state") parts.wall?.onCameraState(data.entity_id, data);
    if (type.startsWith("alarm.")) { parts.alarms?.schedule(); touch(); }
  }

  function onState(state, err) {
    if (!alive) return;
    live.dataset.state = state;
    live.classList.toggle("error", state !== "open");
    live.textContent = state === "open" ? `● ${t("app.live")}` : state === "failed" ? `${t("app.error")}: ${describe(err)}` : t("app.reconnecting");
    // (Re)connected: whatever changed while the stream was not open is read again.
    if (state === "open") { refreshSummary(); parts.alarms?.schedule(); parts.wall?.refreshAll(); }
  }

  (async () => {
    let roots;
    try {
      roots = await loadTree(api);
    } catch (err) {
      fill(grid, h("p", { class: "error", role: "alert" }, t("ioc.tree_failed", { detail: describe(err) })));
      return;
    }
    if (!alive) return;
    const unitCodeById = new Map(flatten(roots).map(({ node }) => [node.id, node.code]));
    parts.units = unitPanel(ctx, roots, chooseUnit);
    parts.wall = cameraWall(ctx);
    parts.alarms = alarmPanel(ctx, { unitCodeById, onUnit: (code) => parts.units.select(code) });
    fill(grid, parts.units.el, parts.wall.el, parts.alarms.el);
    stopStream = stream(api, "events/stream", onEvent, { query: { types: "endpoint.state,camera.state,alarm." }, onState });
    await parts.units.refresh();
    touch();
    const remembered = sessionStorage.getItem("diemcau.ioc.unit");
    if (!(remembered && parts.units.select(remembered))) chooseUnit(null);
    // Camera problems (black, frozen) change without a state change; thumbnails age: re-read now and then.
    timers.push(setInterval(() => parts.wall?.refreshAll(), 30000));
  })();

  return () => {
    alive = false;
    stopStream();
    for (const id of timers) clearInterval(id);
    refreshSummary.cancel();
    parts.alarms?.stop();
    parts.wall?.stop();
  };
}
