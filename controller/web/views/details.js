/**
 * One endpoint (#/endpoint/<id>) or one camera (#/camera/<id>): its current
 * state and why, its measures, its history as charts (1 h / 24 h / 7 d), its
 * alarms, and for a camera the live picture and the last sampled thumbnail.
 *
 * Live: events/stream says when this device's state or alarms change; the
 * current health is also re-read every 15 s (measures move without a state
 * change), and the charts take in new samples every 30 s.
 */
import { h, fill, when, badge, useStyle } from "../lib/dom.js";
import { stateName, language } from "../lib/i18n.js";
import { stream } from "../lib/sse.js";
import { formatNumber } from "../lib/chart.js";
import { WhepPlayer } from "../whep-player.js";
import { iceServers, unplayable } from "../lib/playback.js";
import { alarmName, problemName, severityName } from "../lib/vocabulary.js";
import { alarmText, reasonText } from "../lib/alarm-text.js";
import { describe, uptime } from "../lib/format.js";
import "./details-i18n.js";
import { historyPanel } from "./details-history.js";
import { managePanel, canManage } from "./details-manage.js";
import { standardPanel, unitChain } from "./details-standard.js";

/** A definition list from [label, value] pairs; empty values are left out. */
function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(([, v]) => v !== undefined && v !== null && v !== "")
    .map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

/** Yes/No; `wanted` (true or false) marks the other answer as a fault, shown in red. */
function yesNo(t, v, wanted = null) {
  if (v === null || v === undefined) return null;
  return h("span", { class: wanted !== null && v !== wanted ? "fault" : "" }, t(v ? "details.yes" : "details.no"));
}

/** This device's alarms, newest first, active and cleared. */
function alarmsPanel(ctx, id, unitCode) {
  const { api, t } = ctx;
  const lang = language();
  const body = h("div", { class: "scroll" });
  const el = h("section", { class: "panel details-alarms", id: "details-alarms" }, h("h2", {}, t("details.alarms")), body);
  async function load() {
    let page;
    try {
      page = await api.get("alarms", { status: "all", entity_id: id, limit: 200 });
    } catch (err) {
      fill(body, h("p", { class: "error", role: "alert" }, t("details.alarms_failed", { detail: describe(err) })));
      return;
    }
    const mine = page.items;
    if (!mine.length) { fill(body, h("p", { class: "muted" }, t("details.no_alarms"))); return; }
    fill(body, h("table", {},
      h("thead", {}, h("tr", {}, ["severity", "kind", "message", "raised", "cleared", "count", "ack"].map((c) => h("th", {}, t(`details.col.${c}`))))),
      h("tbody", {}, mine.map((a) => h("tr", { "data-alarm-id": a.id, "data-status": a.status },
        h("td", {}, h("span", { class: `badge s-${a.severity}` }, severityName(a.severity))),
        h("td", {}, alarmName(a.kind), " ", badge(a.status, stateName(a.status))),
        h("td", { class: "message", "data-code": a.code }, alarmText(a)),
        h("td", {}, when(a.raised_at, lang)),
        h("td", {}, a.cleared_at ? when(a.cleared_at, lang) : "—"),
        h("td", {}, a.count),
        h("td", {}, a.acknowledged_at ? [a.acknowledged_by, h("br"), h("span", { class: "muted" }, a.ack_comment || "")] : "—"))))));
  }
  return { el, load };
}

function header(ctx, title, entity) {
  const { t } = ctx;
  const stateEl = h("span", { class: "state", id: "details-state" });
  const reason = h("span", { class: "reason muted", id: "details-reason" });
  const sub = h("div", { class: "sub muted" });
  const back = h("a", { href: "#/ioc", class: "back", onclick: (ev) => { if (history.length > 1) { ev.preventDefault(); history.back(); } } }, t("details.back"));
  const titleEl = h("h1", {}, title);
  const el = h("header", { class: "details-head" }, back, titleEl, stateEl, reason, sub);
  return {
    el,
    sub,
    title: titleEl,
    /** State badge, flapping flag, problems and the reason, from a health reading. */
    set({ state, reason: english, reason_params, since, flapping = false, problems = [] }) {
      const why = reasonText(entity, { state, reason: english, reason_params });
      el.dataset.state = state;
      fill(stateEl, badge(state, stateName(state)), flapping ? badge("flapping", t("details.flapping")) : null,
        problems.map((p) => h("span", { class: "badge s-degraded", "data-problem": p }, problemName(p))));
      reason.textContent = [why, since ? t("details.since", { time: when(since, language()) }) : ""].filter(Boolean).join(" · ");
    },
  };
}

// --- an endpoint --------------------------------------------------------------------------------

async function endpointView(ctx, el, id, on) {
  const { api, t } = ctx;
  const lang = language();
  let ep = await api.get(`endpoints/${id}`);
  const head = header(ctx, ep.name, "endpoint");
  head.set({ state: ep.state });
  const describeEp = () => {
    head.title.textContent = ep.name;
    fill(head.sub, `${ep.unit.name} (${ep.unit.code}) · ${ep.host}:${ep.port} · ${ep.profile}`);
  };
  describeEp();
  // Those who may change it manage it here; the others see nothing they cannot use.
  const manage = canManage(ctx.user) ? managePanel(ctx, ep, { onChanged: (now) => { ep = now; describeEp(); loadHealth(); } }) : null;
  const now = h("div", {});
  const nowError = h("p", { class: "error", role: "alert", hidden: true });
  const history = historyPanel(ctx, "endpoint", id);
  const alarms = alarmsPanel(ctx, id, ep.unit.code);
  const roots = await api.get("units/tree").catch(() => []);
  const standard = standardPanel(ctx, ep.unit, unitChain(roots, ep.unit.code), { canEdit: Boolean(manage) });
  fill(el, head.el, h("div", { class: "grid details-layout" },
    h("section", { class: "panel now", id: "details-now" }, h("h2", {}, t("details.now")), nowError, now),
    h("div", { class: "side" }, manage?.el, alarms.el, standard.el),
    h("div", { class: "wide" }, history.el)));

  async function loadHealth() {
    let hl;
    try {
      hl = await api.get(`endpoints/${id}/health`);
    } catch (err) {
      nowError.textContent = t("details.health_failed", { detail: describe(err) });
      nowError.hidden = false;
      return;
    }
    nowError.hidden = true;
    head.set(hl);
    const x = hl.health || {};
    fill(now, facts([
      [t("details.unit"), `${ep.unit.name} (${ep.unit.code})`],
      [t("details.address"), `${ep.host}:${ep.port}`],
      [t("details.profile"), ep.profile],
      [t("details.model"), ep.model],
      [t("details.firmware"), ep.firmware_version],
      [t("details.sip_uri"), ep.sip_uri],
      [t("details.last_poll"), hl.last_poll_at && when(hl.last_poll_at, lang)],
      [t("details.last_ok"), hl.last_ok_at && when(hl.last_ok_at, lang)],
      [t("details.poll_latency"), hl.poll_latency_ms !== null ? `${formatNumber(hl.poll_latency_ms, 0)} ms` : null],
      [t("details.uptime"), uptime(x.uptime_s)],
      [t("details.in_call"), yesNo(t, x.in_call)],
      [t("details.remote"), x.remote],
      [t("details.sip_registered"), yesNo(t, x.sip_registered, true)],
      [t("details.camera_connected"), yesNo(t, x.camera_connected, true)],
      [t("details.microphones_connected"), yesNo(t, x.microphones_connected, true)],
      [t("details.packet_loss"), x.packet_loss_pct !== null && x.packet_loss_pct !== undefined ? `${formatNumber(x.packet_loss_pct, 2)} %` : null],
      [t("details.temperature"), x.temperature_c !== null && x.temperature_c !== undefined ? `${formatNumber(x.temperature_c)} °C` : null],
    ]),
    // A device that stopped answering keeps its last reading: say how old it is.
    hl.last_ok_at && hl.last_poll_at && Date.parse(hl.last_ok_at) < Date.parse(hl.last_poll_at)
      ? h("p", { class: "muted stale" }, t("details.stale", { time: when(hl.last_ok_at, lang) })) : null);
  }

  await Promise.all([loadHealth(), history.load(), alarms.load(), standard.load()]);
  on.health = loadHealth;
  on.alarms = alarms.load;
  on.history = history;
  on.manage = manage;
}

// --- a camera -----------------------------------------------------------------------------------

async function cameraView(ctx, el, id, on) {
  const { api, t } = ctx;
  const lang = language();
  const cam = await api.get(`cameras/${id}`);
  const head = header(ctx, cam.name, "camera");
  head.set({ state: cam.state, since: cam.state_since });
  fill(head.sub, [`${cam.unit.name} (${cam.unit.code})`, cam.site, cam.url].filter(Boolean).join(" · "));
  let health = null;
  let thumbAt = null;
  let thumbUrl = null;

  const video = h("video", { muted: true, autoplay: true, playsinline: true, controls: false });
  video.setAttribute("muted", "");
  const status = h("p", { class: "muted play-status", role: "status" });
  const player = new WhepPlayer(video, new URL(`../whep/cameras/${id}`, document.baseURI).href, () => api.freshToken(), {
    onStatus: ({ state, message, error }) => {
      status.dataset.state = state;
      status.title = message;
      if (state === "unplayable") { fill(status, unplayable(ctx, error.problem)); return; }
      status.textContent = t(`details.play.${state}`);
      if (state === "retrying" || state === "failed") status.textContent += ` — ${message}`;
    },
  });
  on.player = player;
  const thumb = h("img", { alt: t("details.thumbnail"), id: "details-thumbnail", hidden: true });
  const thumbNote = h("p", { class: "muted" }, t("details.no_thumbnail"));
  const measures = h("div", {});
  const nowError = h("p", { class: "error", role: "alert", hidden: true });
  const history = historyPanel(ctx, "camera", id, () => health?.thresholds || {});
  const alarms = alarmsPanel(ctx, id, cam.unit.code);
  fill(el, head.el, h("div", { class: "grid details-layout camera" },
    h("section", { class: "panel live", id: "details-live" }, h("h2", {}, t("details.live")),
      h("div", { class: "tile player", "data-camera-id": id }, video), status),
    h("div", { class: "side" },
      h("section", { class: "panel thumb" }, h("h2", {}, t("details.thumbnail")), thumb, thumbNote),
      h("section", { class: "panel now", id: "details-now" }, h("h2", {}, t("details.measures")), nowError, measures)),
    h("div", { class: "wide" }, history.el),
    h("div", { class: "wide" }, alarms.el)));

  async function loadThumbnail() {
    // No sample with a picture yet means no thumbnail: asking would only earn a 404.
    if (!health?.last_ok_at || health.last_sample_at === thumbAt) return;
    thumbAt = health.last_sample_at;
    try {
      const url = await api.imageUrl(`cameras/${id}/thumbnail`);
      if (thumbUrl) URL.revokeObjectURL(thumbUrl);
      // Also the player's poster: the last picture stays in view while WebRTC connects.
      thumbUrl = on.thumbUrl = thumb.src = video.poster = url;
      thumb.hidden = false;
      thumbNote.textContent = t("details.sampled", { time: when(health.last_sample_at, lang) });
    } catch { /* keep the previous picture */ }
  }

  async function loadHealth() {
    try {
      health = await api.get(`cameras/${id}/health`);
    } catch (err) {
      nowError.textContent = t("details.health_failed", { detail: describe(err) });
      nowError.hidden = false;
      return;
    }
    nowError.hidden = true;
    head.set(health);
    const m = health.measures || {};
    const th = health.thresholds || {};
    const num = (v, unit = "", digits = 1) => (v === null || v === undefined ? "—" : `${formatNumber(v, digits)}${unit ? ` ${unit}` : ""}`);
    const rows = [
      ["fps", num(m.fps, "fps"), th.min_fps !== undefined ? `≥ ${num(th.min_fps)}` : ""],
      ["bitrate", num(m.bitrate_kbps, "kbit/s", 0), ""],
      ["keyframe", num(m.keyframe_interval_s, "s"), th.max_keyframe_interval_s !== undefined ? `≤ ${num(th.max_keyframe_interval_s, "s")}` : ""],
      ["resolution", m.width && m.height ? `${m.width}×${m.height}` : "—", ""],
      ["luma", num(m.luma), th.black_luma !== undefined ? `> ${num(th.black_luma)}` : ""],
      ["sharpness", num(m.sharpness, "", 0), health.baseline_sharpness && th.blur_ratio !== undefined ? `> ${num(health.baseline_sharpness * th.blur_ratio, "", 0)}` : ""],
      ["frame_diff", num(m.frame_diff, "", 2), th.frozen_diff !== undefined ? `> ${num(th.frozen_diff, "", 2)}` : ""],
      ["scene_correlation", num(m.scene_correlation, "", 3), th.moved_correlation !== undefined ? `≥ ${num(th.moved_correlation, "", 2)}` : ""],
    ];
    fill(measures,
      h("table", { class: "measures" },
        h("thead", {}, h("tr", {}, h("th", {}, t("details.measure")), h("th", {}, t("details.value")), h("th", {}, t("details.threshold")))),
        h("tbody", {}, rows.map(([key, value, limit]) => h("tr", { "data-measure": key }, h("td", {}, t(`details.${key}`)), h("td", { class: "num" }, value), h("td", { class: "muted" }, limit))))),
      facts([
        [t("details.last_ok"), health.last_ok_at && when(health.last_ok_at, lang)],
        [t("details.pulling"), yesNo(t, health.pulling)],
        [t("details.viewers"), String(health.viewers)],
      ]));
    await loadThumbnail();
  }

  player.options.iceServers = await iceServers(api);
  player.start();
  await Promise.all([loadHealth(), alarms.load()]);
  await history.load(); // after the health: the charts draw its thresholds
  on.health = loadHealth;
  on.alarms = alarms.load;
  on.history = history;
}

// --- the view -----------------------------------------------------------------------------------

export function mount(el, ctx, routeName, id) {
  useStyle("views/details.css");
  const { api, t } = ctx;
  const kind = routeName === "camera" ? "camera" : "endpoint";
  const on = {}; // what the live part may refresh, filled once the page is built
  let alive = true;
  const timers = [];
  fill(el, h("p", { class: "muted" }, t("app.loading")));

  const coalesced = (fn, ms) => {
    let timer = null;
    return () => { if (!timer) timer = setTimeout(() => { timer = null; if (alive) fn(); }, ms); };
  };
  const refreshHealth = coalesced(() => on.health?.(), 500);
  const refreshAlarms = coalesced(() => on.alarms?.(), 500);
  let stopStream = () => {};

  (async () => {
    try {
      await (kind === "camera" ? cameraView : endpointView)(ctx, el, id, on);
    } catch (err) {
      if (alive) fill(el, h("a", { href: "#/ioc", class: "back" }, t("details.back")),
        h("p", { class: "error", role: "alert", id: "details-error" }, t("details.load_failed", { detail: describe(err) })));
      return;
    }
    if (!alive) { on.player?.stop(); return; }
    stopStream = stream(api, "events/stream", (type, data) => {
      if (data?.entity_id !== id) return;
      if (type.endsWith(".state")) { refreshHealth(); refreshAlarms(); }
      if (type.startsWith("alarm.")) refreshAlarms();
    }, { query: { types: `${kind}.state,alarm.` } });
    timers.push(setInterval(refreshHealth, 15000));
    timers.push(setInterval(() => on.history?.tick(), 30000));
  })();

  return () => {
    alive = false;
    stopStream();
    for (const timer of timers) clearInterval(timer);
    on.player?.stop();
    on.manage?.stop();
    if (on.thumbUrl) URL.revokeObjectURL(on.thumbUrl);
  };
}
