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
import { register, stateName, language } from "../lib/i18n.js";
import { stream } from "../lib/sse.js";
import { lineChart, formatNumber } from "../lib/chart.js";
import { WhepPlayer } from "../whep-player.js";
import { iceServers, unplayable } from "../lib/playback.js";
import { alarmName, problemName, severityName } from "../lib/vocabulary.js";
import { describe, uptime } from "../lib/format.js";

register({
  vi: {
    "details.back": "← Quay lại",
    "details.load_failed": "Không tải được thông tin: {detail}",
    "details.health_failed": "Không đọc được tình trạng hiện tại: {detail}",
    "details.history_failed": "Không tải được lịch sử: {detail}",
    "details.no_history": "Chưa có lịch sử cho thiết bị này",
    "details.alarms_failed": "Không tải được cảnh báo: {detail}",
    "details.now": "Tình trạng hiện tại",
    "details.history": "Lịch sử",
    "details.alarms": "Cảnh báo",
    "details.no_alarms": "Chưa có cảnh báo nào",
    "details.range.1h": "1 giờ",
    "details.range.24h": "24 giờ",
    "details.range.7d": "7 ngày",
    "details.hourly": "Trung bình theo giờ",
    "details.data_from": "Có dữ liệu từ {time}",
    "details.since": "từ {time}",
    "details.flapping": "Chập chờn",
    "details.unit": "Đơn vị",
    "details.address": "Địa chỉ",
    "details.profile": "Loại thiết bị",
    "details.model": "Model",
    "details.firmware": "Phần mềm",
    "details.sip_uri": "SIP URI",
    "details.last_contact": "Liên lạc gần nhất",
    "details.last_poll": "Lần hỏi gần nhất",
    "details.last_ok": "Lần trả lời tốt gần nhất",
    "details.stale": "Thiết bị không trả lời: số liệu trên là của lần trả lời tốt gần nhất ({time})",
    "details.poll_latency": "Thời gian hỏi",
    "details.uptime": "Thời gian chạy",
    "details.in_call": "Đang họp",
    "details.remote": "Đầu xa",
    "details.sip_registered": "Đăng ký SIP",
    "details.camera_connected": "Camera cắm",
    "details.microphones_connected": "Micro cắm",
    "details.packet_loss": "Mất gói",
    "details.temperature": "Nhiệt độ",
    "details.latency": "Độ trễ",
    "details.availability": "Tỷ lệ sẵn sàng",
    "details.yes": "Có",
    "details.no": "Không",
    "details.site": "Vị trí",
    "details.url": "Luồng RTSP",
    "details.live": "Hình trực tiếp",
    "details.thumbnail": "Ảnh mẫu gần nhất",
    "details.no_thumbnail": "Chưa có ảnh mẫu",
    "details.sampled": "Lấy mẫu lúc {time}",
    "details.measures": "Chỉ số hình ảnh",
    "details.measure": "Chỉ số",
    "details.value": "Giá trị",
    "details.threshold": "Ngưỡng",
    "details.fps": "Tốc độ khung hình",
    "details.bitrate": "Tốc độ bit",
    "details.keyframe": "Khoảng cách keyframe",
    "details.resolution": "Độ phân giải",
    "details.luma": "Độ sáng",
    "details.sharpness": "Độ nét",
    "details.frame_diff": "Khác biệt giữa hai mẫu",
    "details.scene_correlation": "Giống cảnh chuẩn",
    "details.pulling": "Đang kéo luồng",
    "details.viewers": "Người xem WHEP",
    "details.col.severity": "Mức",
    "details.col.kind": "Loại",
    "details.col.message": "Nội dung",
    "details.col.raised": "Báo lúc",
    "details.col.cleared": "Hết lúc",
    "details.col.count": "Số lần",
    "details.col.ack": "Xác nhận",
    "details.play.idle": "Chưa phát",
    "details.play.connecting": "Đang kết nối…",
    "details.play.playing": "Đang phát",
    "details.play.retrying": "Đang thử lại…",
    "details.play.failed": "Không phát được",
    "details.play.stopped": "Đã dừng",
    "details.play.no_picture": "Camera không gửi hình",
    "details.play.unplayable": "Không phát được trong trình duyệt",
  },
  en: {
    "details.back": "← Back",
    "details.load_failed": "Cannot load: {detail}",
    "details.health_failed": "Cannot read the current health: {detail}",
    "details.history_failed": "Cannot load the history: {detail}",
    "details.no_history": "No history for this device yet",
    "details.alarms_failed": "Cannot load the alarms: {detail}",
    "details.now": "Current health",
    "details.history": "History",
    "details.alarms": "Alarms",
    "details.no_alarms": "No alarm so far",
    "details.range.1h": "1 hour",
    "details.range.24h": "24 hours",
    "details.range.7d": "7 days",
    "details.hourly": "Hourly averages",
    "details.data_from": "Data from {time}",
    "details.since": "since {time}",
    "details.flapping": "Flapping",
    "details.unit": "Unit",
    "details.address": "Address",
    "details.profile": "Device type",
    "details.model": "Model",
    "details.firmware": "Firmware",
    "details.sip_uri": "SIP URI",
    "details.last_contact": "Last contact",
    "details.last_poll": "Last poll",
    "details.last_ok": "Last good answer",
    "details.stale": "The device does not answer: the figures above are from its last good answer ({time})",
    "details.poll_latency": "Poll time",
    "details.uptime": "Uptime",
    "details.in_call": "In a call",
    "details.remote": "Far end",
    "details.sip_registered": "SIP registered",
    "details.camera_connected": "Camera plugged in",
    "details.microphones_connected": "Microphones plugged in",
    "details.packet_loss": "Packet loss",
    "details.temperature": "Temperature",
    "details.latency": "Latency",
    "details.availability": "Availability",
    "details.yes": "Yes",
    "details.no": "No",
    "details.site": "Site",
    "details.url": "RTSP stream",
    "details.live": "Live picture",
    "details.thumbnail": "Latest sampled picture",
    "details.no_thumbnail": "No sampled picture yet",
    "details.sampled": "Sampled {time}",
    "details.measures": "Picture measures",
    "details.measure": "Measure",
    "details.value": "Value",
    "details.threshold": "Threshold",
    "details.fps": "Frame rate",
    "details.bitrate": "Bitrate",
    "details.keyframe": "Keyframe interval",
    "details.resolution": "Resolution",
    "details.luma": "Brightness",
    "details.sharpness": "Sharpness",
    "details.frame_diff": "Change between samples",
    "details.scene_correlation": "Likeness to the reference scene",
    "details.pulling": "Pulling the stream",
    "details.viewers": "WHEP viewers",
    "details.col.severity": "Severity",
    "details.col.kind": "Kind",
    "details.col.message": "Message",
    "details.col.raised": "Raised",
    "details.col.cleared": "Cleared",
    "details.col.count": "Count",
    "details.col.ack": "Acknowledged",
    "details.play.idle": "Not started",
    "details.play.connecting": "Connecting…",
    "details.play.playing": "Playing",
    "details.play.retrying": "Retrying…",
    "details.play.failed": "Cannot play",
    "details.play.stopped": "Stopped",
    "details.play.no_picture": "The camera sends no picture",
    "details.play.unplayable": "Cannot play in a browser",
  },
});

const HOUR = 3600e3;
const RANGES = { "1h": HOUR, "24h": 24 * HOUR, "7d": 7 * 24 * HOUR };

/**
 * The charts of each kind of device: which field of a history point each one
 * plots. Raw points and hourly rollups (7 d of an endpoint) name fields
 * differently, hence one field per resolution.
 */
const CHARTS = {
  endpoint: [
    { measure: "latency", title: "details.latency", unit: "ms", raw: "latency_ms", hourly: "latency_ms", digits: 0 },
    { measure: "loss", title: "details.packet_loss", unit: "%", raw: "loss_pct", hourly: "loss_pct_avg", digits: 2 },
    { measure: "temperature", title: "details.temperature", unit: "°C", raw: "temperature_c", hourly: "temperature_c_avg", zero: false },
    { measure: "availability", title: "details.availability", unit: "%", hourly: "availability", scale: 100 },
  ],
  camera: [
    { measure: "fps", title: "details.fps", unit: "fps", raw: "fps", threshold: "min_fps" },
    { measure: "bitrate", title: "details.bitrate", unit: "kbit/s", raw: "bitrate_kbps", digits: 0 },
    { measure: "keyframe", title: "details.keyframe", unit: "s", raw: "keyframe_interval_s", threshold: "max_keyframe_interval_s" },
  ],
};

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

/**
 * The history panel: range buttons and one chart per measure. Raw ranges grow
 * live: every half minute only the samples after the last one are fetched and
 * appended (a day of samples is not downloaded again); hourly rollups are
 * re-read every ten minutes.
 */
function historyPanel(ctx, kind, id, thresholds = () => ({})) {
  const { api, t } = ctx;
  let range = "24h";
  let loading = 0;
  let data = null; // {resolution, points} of the shown range
  let fetchedAt = 0;
  const note = h("span", { class: "muted note" });
  const buttons = Object.keys(RANGES).map((key) => h("button", { type: "button", "data-range": key,
    onclick: () => { range = key; load(); } }, t(`details.range.${key}`)));
  const charts = h("div", { class: "charts", id: "details-charts" });
  const el = h("section", { class: "panel history" },
    h("h2", {}, t("details.history"), h("span", { class: "ranges", role: "group" }, buttons), note), charts);

  function fail(err) {
    // The camera history route is young: a controller without it answers 404/405.
    const missing = err?.status === 404 || err?.status === 405;
    fill(charts, h("p", { class: missing ? "muted" : "error", role: missing ? null : "alert" },
      missing ? t("details.no_history") : t("details.history_failed", { detail: describe(err) })));
    note.textContent = "";
  }

  function draw() {
    const to = Date.now();
    const start = to - RANGES[range];
    data.points = data.points.filter((p) => Date.parse(p.at) >= start);
    const hourly = data.resolution !== "raw";
    const first = data.points[0] ? Date.parse(data.points[0].at) : null;
    // A device younger than the range: the time axis starts with its first sample.
    const from = first && first > start ? first : start;
    note.textContent = [hourly ? t("details.hourly") : "",
      first && first - start > RANGES[range] * 0.05 ? t("details.data_from", { time: when(data.points[0].at, language()) }) : ""]
      .filter(Boolean).join(" · ");
    const limits = thresholds();
    fill(charts, CHARTS[kind].filter((c) => (hourly ? c.hourly : c.raw)).map((c) => {
      const field = hourly ? c.hourly : c.raw;
      const scale = c.scale || 1;
      const limit = c.threshold ? limits[c.threshold] : null;
      return lineChart({
        title: t(c.title), unit: c.unit, measure: c.measure, digits: c.digits ?? 1, zero: c.zero ?? true,
        points: data.points.map((p) => ({ at: p.at, value: p[field] === null || p[field] === undefined ? null : p[field] * scale })),
        from, to,
        threshold: limit !== null && limit !== undefined ? { value: limit } : null,
      });
    }));
  }

  async function load() {
    const mine = ++loading;
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.range === range));
    const since = new Date(Date.now() - RANGES[range]).toISOString();
    let got;
    try {
      got = await api.get(`${kind}s/${id}/health/history`, { since });
    } catch (err) {
      if (mine === loading) fail(err);
      return;
    }
    if (mine !== loading) return;
    data = got;
    fetchedAt = Date.now();
    draw();
  }

  /** The live part: append what is new (raw), or re-read (rollups) now and then. */
  async function tick() {
    if (!data) return load();
    if (data.resolution !== "raw") { if (Date.now() - fetchedAt > 600e3) await load(); return; }
    const mine = loading;
    const last = data.points.at(-1);
    const since = last ? last.at : new Date(Date.now() - RANGES[range]).toISOString();
    let got;
    try {
      got = await api.get(`${kind}s/${id}/health/history`, { since });
    } catch {
      return; // the next tick tries again; what is drawn stays
    }
    if (mine !== loading || got.resolution !== "raw") return;
    const after = last ? Date.parse(last.at) : -Infinity;
    data.points.push(...got.points.filter((p) => Date.parse(p.at) > after));
    draw();
  }

  return { el, load, tick };
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
        h("td", { class: "message" }, a.message),
        h("td", {}, when(a.raised_at, lang)),
        h("td", {}, a.cleared_at ? when(a.cleared_at, lang) : "—"),
        h("td", {}, a.count),
        h("td", {}, a.acknowledged_at ? [a.acknowledged_by, h("br"), h("span", { class: "muted" }, a.ack_comment || "")] : "—"))))));
  }
  return { el, load };
}

function header(ctx, title) {
  const { t } = ctx;
  const stateEl = h("span", { class: "state", id: "details-state" });
  const reason = h("span", { class: "reason muted", id: "details-reason" });
  const sub = h("div", { class: "sub muted" });
  const back = h("a", { href: "#/ioc", class: "back", onclick: (ev) => { if (history.length > 1) { ev.preventDefault(); history.back(); } } }, t("details.back"));
  const el = h("header", { class: "details-head" }, back, h("h1", {}, title), stateEl, reason, sub);
  return {
    el,
    sub,
    /** State badge, flapping flag, problems and the reason, from a health reading. */
    set({ state, reason: why, since, flapping = false, problems = [] }) {
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
  const ep = await api.get(`endpoints/${id}`);
  const head = header(ctx, ep.name);
  head.set({ state: ep.state });
  fill(head.sub, `${ep.unit.name} (${ep.unit.code}) · ${ep.host}:${ep.port} · ${ep.profile}`);
  const now = h("div", {});
  const nowError = h("p", { class: "error", role: "alert", hidden: true });
  const history = historyPanel(ctx, "endpoint", id);
  const alarms = alarmsPanel(ctx, id, ep.unit.code);
  fill(el, head.el, h("div", { class: "grid details-layout" },
    h("section", { class: "panel now", id: "details-now" }, h("h2", {}, t("details.now")), nowError, now),
    alarms.el,
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

  await Promise.all([loadHealth(), history.load(), alarms.load()]);
  on.health = loadHealth;
  on.alarms = alarms.load;
  on.history = history;
}

// --- a camera -----------------------------------------------------------------------------------

async function cameraView(ctx, el, id, on) {
  const { api, t } = ctx;
  const lang = language();
  const cam = await api.get(`cameras/${id}`);
  const head = header(ctx, cam.name);
  head.set({ state: cam.state, since: cam.state_since });
  fill(head.sub, [`${cam.unit.name} (${cam.unit.code})`, cam.site, cam.url].filter(Boolean).join(" · "));
  let health = null;
  let thumbAt = null;
  let thumbUrl = null;

  const video = h("video", { muted: true, autoplay: true, playsinline: true, controls: false });
  video.setAttribute("muted", "");
  const status = h("p", { class: "muted play-status", role: "status" });
  const player = new WhepPlayer(video, new URL(`../whep/cameras/${id}`, document.baseURI).href, api.token, {
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
    if (on.thumbUrl) URL.revokeObjectURL(on.thumbUrl);
  };
}
