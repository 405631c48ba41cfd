/**
 * #/host/<id>: the live participant board: the session's head and counters, the join
 * matrix (host-matrix.js) with each participant's menu (host-tile-menu.js), the feed.
 */
import { h, fill, badge } from "../lib/dom.js";
import { t, stateName } from "../lib/i18n.js";
import { stream } from "../lib/sse.js";
import { duration, fold } from "../lib/format.js";
import { loadTree } from "../lib/units.js";
import { HOLDING, PENDING, at, partKey, problemText, loadAllEndpoints, endpointSearch } from "./host-common.js";
import { confirmBox, closeDialogs } from "../lib/dialog.js";
import { activityFeed } from "./host-feed.js";
import { joinMatrix, districtIndex } from "./host-matrix.js";
import { tileMenu, participantActions } from "./host-tile-menu.js";
import "./host-i18n.js";

export function mountBoard(el, ctx, sessionId) {
  const { api } = ctx;
  let session = null;
  const parts = new Map(); // key → participant
  let districtOf = () => null; // the unit tree, once loaded: a unit's district
  let filter = "all";
  let dirty = false;
  let ending = false;
  let reloadTimer = null;
  let stop = () => {};

  const conn = h("span", { class: "conn", id: "host-conn" });
  const titleEl = h("h1", { id: "host-board-title" });
  const statusEl = h("span", { id: "host-status" });
  const info = h("p", { class: "info muted", id: "host-info" });
  const banner = h("p", { class: "banner", id: "host-banner", hidden: true });
  const actions = h("div", { class: "row board-actions" });
  const counters = h("div", { class: "host-counters", id: "host-counters" });
  const progress = h("div", { class: "progress" }, h("div", { style: { width: "0%" } }));
  const query = h("input", { type: "search", placeholder: t("host.filter_ph"), "aria-label": t("host.filter_ph"), id: "host-filter", oninput: () => applyFilter() });
  const filterSel = h("select", { id: "host-filter-state", "aria-label": t("host.filter_state"), onchange: () => { filter = filterSel.value; applyFilter(); } },
    h("option", { value: "all" }, t("host.filter_all")),
    h("option", { value: "problems" }, t("host.filter_problems")),
    h("option", { value: "muted" }, t("host.filter_muted")));
  const matrix = joinMatrix({ districtOf: (code) => districtOf(code), onOpen: (key, anchor) => menu.open(key, parts.get(key), anchor) });
  const menu = tileMenu({ act: (button, p, kind) => act(button, p, kind), actions: (p) => participantActions(p, session?.status === "live") });
  const empty = h("p", { class: "muted", hidden: true }, t("host.no_match"));
  const feed = activityFeed(api, sessionId);
  const error = h("p", { class: "error", role: "alert", id: "host-board-error" });

  const view = h("div", { class: "board-view" });
  fill(el, view);
  // The board takes the window's height below where it starts (the header bar's height varies
  // with the language and the width): the matrix and the feed scroll inside, the page never does.
  const fit = () => {
    const bottom = parseFloat(getComputedStyle(el.parentElement || el).paddingBottom) || 0;
    view.style.height = `${Math.floor(window.innerHeight - view.getBoundingClientRect().top - window.scrollY - bottom)}px`;
  };
  window.addEventListener("resize", fit);
  fill(view,
    h("div", { class: "row host-head" }, h("a", { href: "#/host" }, t("host.back")), h("span", { class: "spacer" }), conn),
    error,
    h("section", { class: "panel board-head" },
      h("div", { class: "row" }, titleEl, statusEl, h("span", { class: "spacer" }), actions),
      info, banner, counters, progress),
    h("div", { class: "grid board-layout" },
      h("section", { class: "panel participants" },
        h("div", { class: "row filters" }, query, filterSel),
        h("div", { class: "scroll board-scroll" }, matrix.el, empty)),
      // The feed scrolls in its box and holds no control: focusable, so the keyboard scrolls it.
      h("section", { class: "panel feed-panel" }, h("h2", {}, t("host.feed")),
        h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": t("host.feed") }, feed.el))),
    menu.el);

  // -- state in ----------------------------------------------------------------------------

  function applySnapshot(detail) {
    const { participants, ...rest } = detail;
    session = rest;
    const seen = new Set();
    for (const p of participants || []) {
      const key = partKey(p);
      seen.add(key);
      parts.set(key, p);
      updateTile(key);
    }
    for (const key of [...parts.keys()]) if (!seen.has(key)) { parts.delete(key); dropTile(key); }
    renderHead();
    schedule();
  }

  function applyPart(data) {
    const key = partKey(data);
    const old = parts.get(key);
    if (!old) { reloadSoon(); return; } // added by another host, or a scheduled session starting
    if (old.state !== data.state) feed.push({ at: data.at, kind: "participant", endpoint_name: data.endpoint_name, detail: { state: data.state, cause: data.cause, cause_code: data.cause_code, cause_params: data.cause_params } });
    else if (old.muted !== data.muted) feed.push({ at: data.at, kind: data.muted ? "muted" : "unmuted", endpoint_name: data.endpoint_name, detail: {} });
    const { at: when_, ...rest } = data;
    Object.assign(old, rest, old.state !== data.state ? { state_since: when_ } : {});
    updateTile(key);
    schedule();
  }

  /** A full re-read, debounced: unknown participants and session status changes. */
  function reloadSoon() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(async () => {
      try { applySnapshot(await api.get(`sessions/${sessionId}`)); } catch (err) { error.textContent = problemText(err); }
    }, 250);
  }

  function onEvent(type, data) {
    if (type === "session") {
      if (data.participants) { applySnapshot(data); feed.load(); }
      else { if (session) session.status = data.status; reloadSoon(); renderHead(); }
    } else if (type === "participant") {
      applyPart(data);
    } else if (type === "end") {
      stop(); // the stream is over; the library would otherwise reconnect to an ended session
      conn.hidden = true;
      reloadSoon();
    }
  }

  const follow = () => stream(api, `sessions/${sessionId}/events`, onEvent, {
    onState: (s, err) => {
      // the session is over (an ended board, opened again): nothing will reconnect
      if (s === "ended") { conn.hidden = true; return; }
      conn.hidden = false;
      conn.className = `conn ${s}`;
      conn.textContent = s === "open" ? `● ${t("host.live_conn")}` : s === "failed" ? "" : t("host.reconnecting");
      if (s === "failed") {
        conn.hidden = true;
        error.textContent = err?.status === 404 ? t("host.not_found") : problemText(err);
      }
    },
  });
  // Tiles go in their district's group: the tree first (a host without it still gets the board, by unit).
  let gone = false;
  loadTree(api).then((roots) => { districtOf = districtIndex(roots); }, () => {})
    .finally(() => { if (!gone) stop = follow(); });

  // -- header, counters, actions --------------------------------------------------------------

  function counts() {
    const c = { connected: 0, invited: parts.size, pending: 0, failed: 0, unavailable: 0, gone: 0, muted: 0 };
    for (const p of parts.values()) {
      if (p.state === "connected") c.connected += 1;
      else if (PENDING.has(p.state)) c.pending += 1;
      else if (p.state === "failed") c.failed += 1;
      else if (p.state === "unavailable") c.unavailable += 1;
      else c.gone += 1;
      if (p.muted && p.state === "connected") c.muted += 1;
    }
    return c;
  }

  function renderCounters() {
    const c = counts();
    const box = (name, n, cls, filterTo) => h("button", { type: "button", class: `counter ${cls}`, "data-counter": name, "data-count": n,
      title: filterTo ? t(`host.filter_${filterTo}`) : null,
      onclick: filterTo ? () => { filterSel.value = filterTo; filter = filterTo; applyFilter(); } : () => { filterSel.value = "all"; filter = "all"; applyFilter(); } },
      h("b", {}, String(n)), h("span", {}, t(`host.count_${name}`)));
    fill(counters,
      box("connected", c.connected, "ok", null),
      box("invited", c.invited, "", null),
      box("pending", c.pending, "warn", "problems"),
      box("failed", c.failed, "bad", "problems"),
      box("unavailable", c.unavailable, "bad", "problems"),
      c.gone ? box("gone", c.gone, "", null) : null,
      box("muted", c.muted, "", "muted"));
    progress.firstChild.style.width = `${c.invited ? (100 * c.connected) / c.invited : 0}%`;
    matrix.render(parts, visible);
  }

  function renderHead() {
    if (!session) return;
    titleEl.textContent = session.title;
    fill(statusEl, badge(session.status, stateName(session.status)));
    renderInfo();
    const live = session.status === "live";
    banner.hidden = live;
    banner.className = `banner ${session.status}`;
    banner.textContent = session.status === "ended" ? t("host.ended_banner")
      : session.status === "cancelled" ? t("host.cancelled_banner")
        : session.status === "scheduled" ? t("host.scheduled_banner", { time: at(session.start_at) }) : "";
    const attendance = h("button", { type: "button", id: "host-open-attendance", class: live ? "" : "primary",
      onclick: () => ctx.go(`host/${sessionId}/attendance`) }, t("host.attendance"));
    if (live) {
      fill(actions,
        h("button", { type: "button", id: "host-mute-all", onclick: (ev) => muteAll(ev.currentTarget, true) }, t("host.mute_all")),
        h("button", { type: "button", id: "host-unmute-all", onclick: (ev) => muteAll(ev.currentTarget, false) }, t("host.unmute_all")),
        h("button", { type: "button", id: "host-add", onclick: addDialog }, `+ ${t("host.add_endpoint")}`),
        attendance,
        h("button", { type: "button", class: "danger", id: "host-end", disabled: ending, onclick: endSession },
          ending ? t("host.ending") : t("host.end")));
    } else if (session.status === "scheduled") {
      fill(actions, h("button", { type: "button", class: "danger", id: "host-end", onclick: endSession }, t("host.cancel_session")));
    } else {
      fill(actions, attendance);
    }
    for (const key of parts.keys()) updateTile(key); // the open menu's actions follow the session's status
  }

  function renderInfo() {
    if (!session) return;
    const bits = [t("host.conference", { id: session.conference_id }), session.dial_string,
      `${t("host.rate", { rate: session.call_rate })} ${session.protocol.toUpperCase()}`, t("host.hosted_by", { name: session.host })];
    if (session.status === "scheduled") bits.push(t("host.starts", { time: at(session.start_at) }));
    if (session.started_at) bits.push(t("host.started", { time: at(session.started_at) }));
    if (session.started_at) {
      const end = session.ended_at ? Date.parse(session.ended_at) : Date.now();
      bits.push(t("host.elapsed", { d: duration((end - Date.parse(session.started_at)) / 1000) }));
    }
    if (session.status === "live" && session.duration_s && session.started_at) {
      bits.push(t("host.auto_end", { time: at(new Date(Date.parse(session.started_at) + session.duration_s * 1000).toISOString()) }));
    }
    if (session.ended_at) bits.push(t("host.ended_at", { time: at(session.ended_at), by: session.ended_by || "—" }));
    info.textContent = bits.join(" · ");
  }
  const clock = setInterval(renderInfo, 1000);

  async function endSession() {
    const c = counts();
    const scheduled = session.status === "scheduled";
    const question = scheduled ? t("host.confirm_cancel", { title: session.title }) : t("host.confirm_end", { title: session.title, n: c.connected });
    if (!(await confirmBox(question, { ok: scheduled ? t("host.cancel_session") : t("host.end"), danger: true }))) return;
    ending = true;
    renderHead();
    try {
      const detail = await api.post(`sessions/${sessionId}/end`);
      stop();
      conn.hidden = true;
      applySnapshot(detail);
      const unconfirmed = detail.participants.filter((p) => p.cause_code === "hangup_unconfirmed" || p.cause?.startsWith("hang-up not confirmed")).length;
      ctx.toast(unconfirmed ? t("host.ended_unconfirmed", { n: unconfirmed }) : t("host.ended_ok", { title: detail.title }), unconfirmed ? "error" : "ok");
    } catch (err) {
      ctx.toast(problemText(err), "error");
    } finally {
      ending = false;
      renderHead();
    }
  }

  async function muteAll(button, on) {
    button.disabled = true;
    try {
      reportMute(await api.post(`sessions/${sessionId}/mute`, { on }), on);
    } catch (err) {
      ctx.toast(problemText(err), "error");
    } finally {
      button.disabled = false;
    }
  }

  /** The mute answer is per endpoint: null when done, else the device's reason. */
  function reportMute(result, on) {
    const failed = Object.entries(result).filter(([, why]) => why);
    const ok = Object.keys(result).length - failed.length;
    const text = t(on ? "host.muted_n" : "host.unmuted_n", { n: ok });
    if (failed.length) ctx.toast(`${text}. ${t("host.mute_failed", { n: failed.length, list: failed.map(([n, why]) => `${n}: ${why}`).join("; ") })}`, "error");
    else ctx.toast(text, "ok");
  }

  async function act(button, p, kind) {
    const id = p.endpoint_id;
    if (kind === "remove" && !(await confirmBox(t("host.confirm_remove", { name: p.endpoint_name }), { ok: t("host.remove"), danger: true }))) return;
    button.disabled = true;
    try {
      if (kind === "mute") {
        const on = !p.muted; // read before the request: the board's own event may flip it meanwhile
        reportMute(await api.post(`sessions/${sessionId}/mute`, { on, endpoint: id }), on);
      }
      else if (kind === "redial") { await api.post(`sessions/${sessionId}/participants/${id}/redial`); ctx.toast(t("host.redial_ok", { name: p.endpoint_name }), "ok"); }
      else if (kind === "remove") { await api.del(`sessions/${sessionId}/participants/${id}`); ctx.toast(t("host.removed_ok", { name: p.endpoint_name }), "ok"); }
    } catch (err) {
      ctx.toast(`${p.endpoint_name}: ${problemText(err)}`, "error");
    } finally {
      button.disabled = false;
    }
  }

  async function addDialog() {
    let endpoints;
    try { endpoints = await loadAllEndpoints(api); } catch (err) { ctx.toast(problemText(err), "error"); return; }
    const message = h("p", { class: "error", role: "alert", id: "host-add-error" });
    const dlg = h("dialog", { class: "host-dialog wide", id: "host-add-dialog" });
    const search = endpointSearch(endpoints, { id: "host-add-search", limit: 50, action: (ep) => {
      const mine = parts.get(ep.id);
      if (mine && HOLDING.has(mine.state)) return h("button", { type: "button", disabled: true }, t("host.add_busy"));
      return h("button", { type: "button", class: "primary", "data-add": ep.name, onclick: async (ev) => {
        ev.currentTarget.disabled = true;
        message.textContent = "";
        try {
          applySnapshot(await api.post(`sessions/${sessionId}/participants`, { endpoint: ep.id }));
          ctx.toast(t("host.added_ok", { name: ep.name }), "ok");
          search.render();
        } catch (err) {
          message.textContent = `${ep.name}: ${problemText(err)}`;
          ev.target.disabled = false;
        }
      } }, t("host.add"));
    } });
    fill(dlg, h("h2", {}, t("host.add_title")), search.el, message,
      h("div", { class: "row actions" }, h("button", { type: "button", onclick: () => { dlg.close(); dlg.remove(); } }, t("host.close"))));
    dlg.addEventListener("close", () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
    search.input.focus();
  }

  // -- participant tiles --------------------------------------------------------------------------

  function updateTile(key) {
    const p = parts.get(key);
    if (!p) return;
    matrix.update(key, p);
    matrix.tile(key).hidden = !visible(p);
    menu.refresh(key, p);
  }

  function dropTile(key) {
    matrix.drop(key);
  }

  function visible(p) {
    if (filter === "problems" && p.state === "connected") return false;
    if (filter === "muted" && !(p.muted && p.state === "connected")) return false;
    const q = query.value.trim();
    return !q || fold(`${p.endpoint_name} ${p.unit_name} ${p.unit_code}`).includes(fold(q));
  }

  function applyFilter() {
    const shown = matrix.applyFilter((key) => visible(parts.get(key)));
    empty.hidden = shown > 0 || !parts.size;
    if (!parts.size) { empty.hidden = false; empty.textContent = t("host.no_participants"); } else empty.textContent = t("host.no_match");
  }

  /** Counters and group heads once per frame, however many participant events arrive. */
  function schedule() {
    if (dirty) return;
    dirty = true;
    requestAnimationFrame(() => { dirty = false; renderCounters(); applyFilter(); });
  }

  fit();
  return () => {
    window.removeEventListener("resize", fit);
    gone = true;
    stop();
    menu.dispose();
    clearInterval(clock);
    clearTimeout(reloadTimer);
    closeDialogs();
  };
}
