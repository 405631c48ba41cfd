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
import { h, fill, when, badge, useStyle } from "../lib/dom.js";
import { register, stateName, language } from "../lib/i18n.js";
import { loadTree, unitTree, flatten } from "../lib/units.js";
import { stream } from "../lib/sse.js";
import { WhepPlayer } from "../whep-player.js";

register({
  vi: {
    "ioc.title": "Giám sát toàn tỉnh",
    "ioc.units": "Đơn vị",
    "ioc.all_units": "Tất cả đơn vị",
    "ioc.unit_filter": "Đơn vị: {name}",
    "ioc.clear_unit": "Bỏ lọc đơn vị",
    "ioc.ep": "Điểm cầu",
    "ioc.cam": "Camera",
    "ioc.ep_short": "ĐC",
    "ioc.cam_short": "CAM",
    "ioc.updated": "Cập nhật {time}",
    "ioc.summary_failed": "Không đọc được số liệu đơn vị: {detail}",
    "ioc.tree_failed": "Không tải được cây đơn vị: {detail}",
    "ioc.alarms": "Cảnh báo",
    "ioc.alarms_failed": "Không tải được danh sách cảnh báo: {detail}",
    "ioc.no_alarms": "Không có cảnh báo nào đang báo",
    "ioc.shown": "Hiển thị {n}/{total}",
    "ioc.severity": "Mức độ",
    "ioc.severity_all": "Mọi mức độ",
    "ioc.ack_filter_all": "Đã và chưa xác nhận",
    "ioc.ack_filter_no": "Chưa xác nhận",
    "ioc.ack_filter_yes": "Đã xác nhận",
    "ioc.ack": "Xác nhận",
    "ioc.ack_send": "Gửi xác nhận",
    "ioc.cancel": "Hủy",
    "ioc.ack_comment": "Ghi chú xác nhận",
    "ioc.ack_placeholder": "Đã làm gì, phát hiện gì…",
    "ioc.ack_done": "Đã xác nhận cảnh báo {name}",
    "ioc.acked_by": "Đã xác nhận: {who}, {time}",
    "ioc.raised": "Báo lúc {time}",
    "ioc.times": "{n} lần",
    "ioc.wall": "Tường camera",
    "ioc.wall_failed": "Không tải được danh sách camera: {detail}",
    "ioc.no_cameras": "Không có camera nào trong đơn vị này",
    "ioc.page": "Trang {page}/{pages}",
    "ioc.prev": "Trang trước",
    "ioc.next": "Trang sau",
    "ioc.cameras_n": "{n} camera",
    "ioc.details": "Chi tiết",
    "ioc.enlarge": "Bấm để phóng to, bấm lại hoặc Esc để thu nhỏ",
    "ioc.play.idle": "Chưa phát",
    "ioc.play.connecting": "Đang kết nối…",
    "ioc.play.playing": "Đang phát",
    "ioc.play.retrying": "Đang thử lại…",
    "ioc.play.failed": "Không phát được",
    "ioc.play.stopped": "Đã dừng",
    "ioc.play.no_picture": "Camera không gửi hình",
    "ioc.play.unplayable": "Không phát được luồng {codec} trong trình duyệt",
    "ioc.unplayable.b_frames": "Luồng H.264 có B-frame: trình duyệt hiển thị sai",
    "ioc.unplayable.fix": "Đặt luồng phụ về H.264 baseline/main",
    "ioc.unplayable.fix_b_frames": "Tắt B-frame trên trang web của camera",
    "ioc.unplayable.provision": "Cấu hình camera",
    "ioc.problem.stream_unplayable": "Trình duyệt không phát được",
    "ioc.kind.camera_stream_unplayable": "Luồng camera trình duyệt không phát được",
    "ioc.sev.critical": "Nghiêm trọng",
    "ioc.sev.major": "Cao",
    "ioc.sev.minor": "Thấp",
    "ioc.sev.warning": "Lưu ý",
    "ioc.problem.black": "Hình đen",
    "ioc.problem.frozen": "Đóng băng",
    "ioc.problem.blurred": "Mờ",
    "ioc.problem.moved": "Lệch hướng",
    "ioc.problem.low_fps": "FPS thấp",
    "ioc.problem.rare_keyframes": "Ít keyframe",
    "ioc.kind.hostkey_mismatch": "Khóa SSH thay đổi",
    "ioc.kind.hostkey_unpinned": "Chưa duyệt khóa SSH",
    "ioc.kind.uplink": "Mất đường truyền cả đơn vị",
    "ioc.kind.unreachable": "Không truy cập được",
    "ioc.kind.offline": "Thiết bị không phản hồi",
    "ioc.kind.auth_failed": "Sai mật khẩu thiết bị",
    "ioc.kind.degraded": "Chất lượng suy giảm",
    "ioc.kind.flapping": "Chập chờn",
    "ioc.kind.camera_offline": "Camera mất kết nối",
    "ioc.kind.camera_auth_failed": "Camera từ chối tài khoản",
    "ioc.kind.camera_stalled": "Camera không có hình",
    "ioc.kind.camera_black": "Hình đen",
    "ioc.kind.camera_frozen": "Hình bị đóng băng",
    "ioc.kind.camera_moved": "Camera bị xoay hướng",
    "ioc.kind.camera_blurred": "Hình bị mờ",
    "ioc.kind.camera_low_fps": "Tốc độ khung hình thấp",
    "ioc.kind.camera_rare_keyframes": "Khung hình chính quá thưa",
    "ioc.kind.camera_flapping": "Camera chập chờn",
  },
  en: {
    "ioc.title": "Province monitoring",
    "ioc.units": "Units",
    "ioc.all_units": "All units",
    "ioc.unit_filter": "Unit: {name}",
    "ioc.clear_unit": "Clear the unit filter",
    "ioc.ep": "Endpoints",
    "ioc.cam": "Cameras",
    "ioc.ep_short": "EP",
    "ioc.cam_short": "CAM",
    "ioc.updated": "Updated {time}",
    "ioc.summary_failed": "Cannot read the unit counts: {detail}",
    "ioc.tree_failed": "Cannot load the unit tree: {detail}",
    "ioc.alarms": "Alarms",
    "ioc.alarms_failed": "Cannot load the alarms: {detail}",
    "ioc.no_alarms": "No active alarm",
    "ioc.shown": "Showing {n} of {total}",
    "ioc.severity": "Severity",
    "ioc.severity_all": "Any severity",
    "ioc.ack_filter_all": "Acknowledged or not",
    "ioc.ack_filter_no": "Not acknowledged",
    "ioc.ack_filter_yes": "Acknowledged",
    "ioc.ack": "Acknowledge",
    "ioc.ack_send": "Send",
    "ioc.cancel": "Cancel",
    "ioc.ack_comment": "Acknowledgement note",
    "ioc.ack_placeholder": "What was done or found…",
    "ioc.ack_done": "Alarm on {name} acknowledged",
    "ioc.acked_by": "Acknowledged: {who}, {time}",
    "ioc.raised": "Raised {time}",
    "ioc.times": "{n} times",
    "ioc.wall": "Camera wall",
    "ioc.wall_failed": "Cannot load the cameras: {detail}",
    "ioc.no_cameras": "No camera in this unit",
    "ioc.page": "Page {page}/{pages}",
    "ioc.prev": "Previous page",
    "ioc.next": "Next page",
    "ioc.cameras_n": "{n} cameras",
    "ioc.details": "Details",
    "ioc.enlarge": "Click to enlarge, click again or Esc to shrink",
    "ioc.play.idle": "Not started",
    "ioc.play.connecting": "Connecting…",
    "ioc.play.playing": "Playing",
    "ioc.play.retrying": "Retrying…",
    "ioc.play.failed": "Cannot play",
    "ioc.play.stopped": "Stopped",
    "ioc.play.no_picture": "The camera sends no picture",
    "ioc.play.unplayable": "This {codec} stream cannot play in a browser",
    "ioc.unplayable.b_frames": "H.264 with B-frames: browsers show it out of order",
    "ioc.unplayable.fix": "Set the sub-stream to H.264 baseline/main",
    "ioc.unplayable.fix_b_frames": "Turn B-frames off on the camera's web page",
    "ioc.unplayable.provision": "Provision the camera",
    "ioc.problem.stream_unplayable": "Unplayable in browsers",
    "ioc.kind.camera_stream_unplayable": "Camera stream browsers cannot play",
    "ioc.sev.critical": "Critical",
    "ioc.sev.major": "Major",
    "ioc.sev.minor": "Minor",
    "ioc.sev.warning": "Warning",
    "ioc.problem.black": "Black",
    "ioc.problem.frozen": "Frozen",
    "ioc.problem.blurred": "Blurred",
    "ioc.problem.moved": "Moved",
    "ioc.problem.low_fps": "Low FPS",
    "ioc.problem.rare_keyframes": "Rare keyframes",
    "ioc.kind.hostkey_mismatch": "SSH host key changed",
    "ioc.kind.hostkey_unpinned": "SSH key not approved",
    "ioc.kind.uplink": "Whole unit unreachable",
    "ioc.kind.unreachable": "Unreachable",
    "ioc.kind.offline": "Device not answering",
    "ioc.kind.auth_failed": "Device password rejected",
    "ioc.kind.degraded": "Degraded",
    "ioc.kind.flapping": "Flapping",
    "ioc.kind.camera_offline": "Camera offline",
    "ioc.kind.camera_auth_failed": "Camera refuses the credentials",
    "ioc.kind.camera_stalled": "Camera sends no picture",
    "ioc.kind.camera_black": "Black picture",
    "ioc.kind.camera_frozen": "Frozen picture",
    "ioc.kind.camera_moved": "Camera turned away",
    "ioc.kind.camera_blurred": "Blurred picture",
    "ioc.kind.camera_low_fps": "Frame rate too low",
    "ioc.kind.camera_rare_keyframes": "Keyframes too rare",
    "ioc.kind.camera_flapping": "Camera flapping",
  },
});

const SEVERITIES = ["critical", "major", "minor", "warning"];
/** Worst first, so the eye lands on what needs a technician. */
const STATE_ORDER = ["hostkey_mismatch", "hostkey_unpinned", "unreachable", "offline", "stalled", "auth_failed", "degraded",
  "hostkey_pending", "unknown", "in_call", "online"];
const ACK_ROLES = ["admin", "technician"]; // POST /alarms/{id}/ack (controller/health/api.py)

/** The text to show for a failed request: the problem's detail, never a stack. */
function describe(err) {
  return typeof err?.describe === "function" ? err.describe() : String(err?.message || err);
}

/**
 * Call `fn` soon, once for any number of calls within `ms`; a call arriving
 * while `fn` runs schedules one more run, so the last change is never missed.
 */
function coalesce(fn, ms) {
  let timer = null;
  let running = false;
  let again = false;
  const fire = async () => {
    timer = null;
    if (running) { again = true; return; }
    running = true;
    try { await fn(); } finally {
      running = false;
      if (again) { again = false; schedule(); }
    }
  };
  function schedule() { if (!timer) timer = setTimeout(fire, ms); }
  schedule.cancel = () => { clearTimeout(timer); timer = null; again = false; };
  return schedule;
}

function sortedStates(counts = {}) {
  const rank = (s) => { const i = STATE_ORDER.indexOf(s); return i < 0 ? STATE_ORDER.length : i; };
  return Object.entries(counts).filter(([, n]) => n > 0).sort(([a], [b]) => rank(a) - rank(b));
}

// --- the unit tree ------------------------------------------------------------------------------

function unitPanel(ctx, roots, onSelect) {
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

// --- the alarm list -----------------------------------------------------------------------------

function alarmPanel(ctx, { unitCodeById, onUnit }) {
  const { api, t } = ctx;
  const lang = language();
  const canAck = ACK_ROLES.includes(ctx.user.role);
  let unit = null; // {code, name} or null: the whole province
  let known = null; // alarm ids of the previous load: new ones are highlighted
  const rows = new Map(); // alarm id → row

  const totals = h("span", { class: "sev-totals", id: "ioc-alarm-totals" });
  const scope = h("span", { class: "muted scope" });
  const severity = h("select", { id: "ioc-severity", "aria-label": t("ioc.severity"), onchange: () => refresh() },
    h("option", { value: "" }, t("ioc.severity_all")),
    SEVERITIES.map((s) => h("option", { value: s }, t(`ioc.sev.${s}`))));
  const acked = h("select", { id: "ioc-acked", "aria-label": t("ioc.ack_filter_all"), onchange: () => refresh() },
    h("option", { value: "" }, t("ioc.ack_filter_all")),
    h("option", { value: "false" }, t("ioc.ack_filter_no")),
    h("option", { value: "true" }, t("ioc.ack_filter_yes")));
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const shown = h("p", { class: "muted shown", hidden: true });
  const list = h("ul", { class: "alarm-list", id: "ioc-alarms" });
  const empty = h("p", { class: "muted empty", hidden: true }, t("ioc.no_alarms"));
  const el = h("section", { class: "panel alarms", id: "ioc-alarm-panel" },
    h("h2", {}, t("ioc.alarms"), totals, scope),
    h("div", { class: "row filters" }, severity, acked),
    error, h("div", { class: "scroll" }, list, empty), shown);

  function entityLink(a) {
    if (a.entity_type === "endpoint" || a.entity_type === "camera") {
      return h("a", { class: "entity", href: `#/${a.entity_type}/${a.entity_id}` }, a.entity_name);
    }
    const code = unitCodeById.get(a.entity_id);
    return code ? h("a", { class: "entity", href: "#/ioc", onclick: (ev) => { ev.preventDefault(); onUnit(code); } }, a.entity_name)
      : h("span", { class: "entity" }, a.entity_name);
  }

  function ackForm(a, row) {
    const comment = h("input", { name: "comment", required: true, maxlength: 1000, "aria-label": t("ioc.ack_comment"),
      placeholder: t("ioc.ack_placeholder") });
    const problem = h("p", { class: "error", role: "alert" });
    const send = h("button", { type: "submit", class: "primary" }, t("ioc.ack_send"));
    const form = h("form", { class: "ack-form",
      onsubmit: async (ev) => {
        ev.preventDefault();
        problem.textContent = "";
        send.disabled = true;
        try {
          await api.post(`alarms/${a.id}/ack`, { comment: comment.value.trim() });
          ctx.toast(t("ioc.ack_done", { name: a.entity_name }), "ok");
          row.closeForm();
          schedule();
        } catch (err) {
          problem.textContent = describe(err);
          comment.focus();
        } finally {
          send.disabled = false;
        }
      } },
    comment, send, h("button", { type: "button", onclick: () => row.closeForm() }, t("ioc.cancel")), problem);
    setTimeout(() => comment.focus());
    return form;
  }

  /** One alarm as a card; update() rewrites its text but keeps an open acknowledgement form. */
  function makeRow(a) {
    const el = h("li", { class: "alarm", "data-alarm-id": a.id });
    const head = h("div", { class: "head" });
    const body = h("div", { class: "body" });
    const foot = h("div", { class: "foot" });
    const formSlot = h("div", { class: "form-slot" });
    el.append(head, body, foot, formSlot);
    const row = {
      el,
      form: null,
      update(alarm) {
        a = alarm;
        el.dataset.severity = a.severity;
        el.dataset.entityId = a.entity_id;
        el.dataset.acknowledged = a.acknowledged_at ? "true" : "false";
        el.classList.toggle("acked", Boolean(a.acknowledged_at));
        fill(head, h("span", { class: `badge s-${a.severity}`, "data-severity": a.severity }, t(`ioc.sev.${a.severity}`)),
          entityLink(a),
          a.count > 1 ? h("span", { class: "count muted", title: t("ioc.times", { n: a.count }) }, `×${a.count}`) : null,
          h("time", { class: "muted", datetime: a.raised_at, title: t("ioc.raised", { time: when(a.raised_at, lang) }) }, when(a.raised_at, lang)));
        const kind = t(`ioc.kind.${a.kind}`);
        fill(body, h("strong", {}, kind.startsWith("ioc.kind.") ? a.kind : kind), " ", h("span", { class: "muted message" }, a.message));
        const ackLine = a.acknowledged_at
          ? h("span", { class: "acked-by" }, t("ioc.acked_by", { who: a.acknowledged_by, time: when(a.acknowledged_at, lang) }),
            a.ack_comment ? h("span", { class: "muted" }, ` — ${a.ack_comment}`) : null)
          : null;
        const button = canAck && !a.acknowledged_at && !row.form
          ? h("button", { type: "button", class: "ack", onclick: () => row.openForm() }, t("ioc.ack")) : null;
        fill(foot, ackLine, button);
        if (a.acknowledged_at && row.form) row.closeForm();
      },
      openForm() { row.form = ackForm(a, row); fill(formSlot, row.form); row.update(a); },
      closeForm() { row.form = null; formSlot.replaceChildren(); row.update(a); },
    };
    row.update(a);
    return row;
  }

  /** Put the rows in order, moving only what must move (a focused note field keeps its focus). */
  function reconcile(alarms) {
    const wanted = alarms.map((a) => {
      let row = rows.get(a.id);
      if (!row) {
        row = makeRow(a);
        rows.set(a.id, row);
        if (known && !known.has(a.id)) {
          row.el.classList.add("fresh");
          setTimeout(() => row.el.classList.remove("fresh"), 10000);
        }
      } else row.update(a);
      return row.el;
    });
    const ids = new Set(alarms.map((a) => a.id));
    for (const [id, row] of rows) if (!ids.has(id)) { row.el.remove(); rows.delete(id); }
    wanted.forEach((node, i) => { if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null); });
    known = ids;
  }

  let seq = 0;
  async function refresh() {
    const mine = ++seq;
    const base = { status: "active", unit: unit?.code };
    try {
      const [page, ...bySeverity] = await Promise.all([
        api.get("alarms", { ...base, severity: severity.value, acknowledged: acked.value, limit: 200 }),
        ...SEVERITIES.map((s) => api.get("alarms", { ...base, severity: s, limit: 1 })),
      ]);
      if (mine !== seq) return; // a newer read (another unit or filter) is on its way
      reconcile(page.items);
      empty.hidden = page.items.length > 0;
      shown.hidden = page.total <= page.items.length;
      shown.textContent = t("ioc.shown", { n: page.items.length, total: page.total });
      fill(totals, SEVERITIES.map((s, i) => (bySeverity[i].total
        ? h("span", { class: `badge s-${s}`, "data-severity": s, "data-count": bySeverity[i].total, title: t(`ioc.sev.${s}`) },
          `${bySeverity[i].total} ${t(`ioc.sev.${s}`)}`) : null)));
      error.hidden = true;
    } catch (err) {
      if (mine !== seq) return;
      error.textContent = t("ioc.alarms_failed", { detail: describe(err) });
      error.hidden = false;
    }
  }
  const schedule = coalesce(refresh, 300);

  return {
    el,
    refresh,
    schedule,
    setUnit(u) {
      unit = u;
      scope.textContent = u ? u.name : "";
      known = null; // a different list: nothing in it is "new"
      refresh();
    },
    stop() { schedule.cancel(); },
  };
}

// --- the camera wall ----------------------------------------------------------------------------

let iceServersAsked = null;

/** The controller's STUN/TURN servers for WHEP players, asked once per page (none on failure:
 * the WHEP answers' Link headers still tell them). */
export function iceServers(api) {
  iceServersAsked ||= api.get("relay/ice-servers").catch(() => []);
  return iceServersAsked;
}

const PROVISION_ROLES = ["admin", "technician"]; // POST /provisioning/cameras (controller/cameras/api.py)

/** Why a camera's stream cannot play here and what fixes it; with the way to the fix for those
 * who may provision cameras, when the camera has ONVIF. */
export function unplayable(ctx, problem) {
  const { t } = ctx;
  const why = problem.reason === "b_frames" ? t("ioc.unplayable.b_frames") : t("ioc.play.unplayable", { codec: problem.codec });
  const fix = problem.reason === "b_frames" ? t("ioc.unplayable.fix_b_frames") : t("ioc.unplayable.fix");
  const parts = [h("strong", {}, why), h("span", {}, fix)];
  if (problem.onvif && PROVISION_ROLES.includes(ctx.user.role)) {
    parts.push(h("a", { class: "button", href: "#/tech/provision", onclick: (ev) => ev.stopPropagation() }, t("ioc.unplayable.provision")));
  }
  return h("span", { class: "unplayable", "data-reason": problem.reason, "data-codec": problem.codec }, ...parts);
}

function cameraTile(ctx, cam) {
  const { api, t } = ctx;
  const video = h("video", { muted: true, autoplay: true, playsinline: true });
  video.setAttribute("muted", "");
  video.setAttribute("autoplay", "");
  const stateBadge = h("span", { class: "state" });
  const problems = h("span", { class: "problems" });
  const playState = h("span", { class: "play-state", role: "status" });
  const el = h("div", { class: "tile", "data-camera-id": cam.id, "data-state": cam.state, title: t("ioc.enlarge"), tabindex: 0 },
    video, problems, playState,
    h("div", { class: "caption" },
      h("span", { class: "name", title: `${cam.name} · ${cam.unit.name}` }, cam.name, h("span", { class: "unit muted" }, ` · ${cam.unit.name}`)),
      stateBadge,
      h("a", { class: "details", href: `#/camera/${cam.id}`, onclick: (ev) => ev.stopPropagation() }, t("ioc.details"))));
  let poster = null;
  let lastSample = null;
  let stopped = false;

  function setState(state) {
    el.dataset.state = state;
    fill(stateBadge, badge(state, stateName(state)));
  }
  setState(cam.state);

  const player = new WhepPlayer(video, new URL(`../whep/cameras/${cam.id}`, document.baseURI).href, api.token, {
    onStatus: ({ state, message, error }) => {
      el.dataset.play = state;
      playState.title = message;
      if (state === "unplayable") fill(playState, unplayable(ctx, error.problem));
      else playState.textContent = t(`ioc.play.${state}`);
    },
  });

  /** State, problems and (while there is no live picture) the last sampled thumbnail. */
  async function refreshHealth() {
    let health;
    try {
      health = await api.get(`cameras/${cam.id}/health`);
    } catch {
      return; // the state badge keeps what the list or the event said
    }
    if (stopped) return;
    setState(health.state);
    el.dataset.problems = health.problems.join(" ");
    fill(problems, health.problems.map((p) => h("span", { class: "badge s-degraded", "data-problem": p }, t(`ioc.problem.${p}`))));
    // Only ask for a thumbnail once a sample had a picture: before that the answer is a 404.
    if (health.last_ok_at && health.last_sample_at !== lastSample && el.dataset.play !== "playing") {
      lastSample = health.last_sample_at;
      try {
        const url = await api.imageUrl(`cameras/${cam.id}/thumbnail`);
        if (stopped) { URL.revokeObjectURL(url); return; }
        if (poster) URL.revokeObjectURL(poster);
        poster = video.poster = url;
      } catch { /* no thumbnail yet: the tile stays black */ }
    }
  }

  return {
    el,
    id: cam.id,
    start() {
      refreshHealth();
      iceServers(api).then((servers) => {
        if (stopped) return;
        player.options.iceServers = servers;
        player.start();
      });
    },
    refreshHealth,
    setState,
    stop() {
      stopped = true;
      if (poster) URL.revokeObjectURL(poster);
      return player.stop();
    },
  };
}

function cameraWall(ctx) {
  const { api, t } = ctx;
  // The relay caps viewers (per camera and in total): a wall shows one page of players at a time.
  const perPage = window.innerWidth >= 1600 ? 16 : 9;
  let unit = null;
  let page = 0;
  let tiles = new Map(); // camera id → tile
  let loading = 0;
  let alive = true;

  const count = h("span", { class: "muted", id: "ioc-camera-count" });
  const scope = h("span", { class: "muted scope" });
  const pageLabel = h("span", { class: "muted page" });
  const prev = h("button", { type: "button", "aria-label": t("ioc.prev"), title: t("ioc.prev"), onclick: () => { page--; load(); } }, "‹");
  const next = h("button", { type: "button", "aria-label": t("ioc.next"), title: t("ioc.next"), onclick: () => { page++; load(); } }, "›");
  const pager = h("span", { class: "pager", hidden: true }, prev, pageLabel, next);
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const wall = h("div", { class: "wall", id: "ioc-wall" });
  const empty = h("p", { class: "muted", hidden: true }, t("ioc.no_cameras"));
  const el = h("section", { class: "panel wall-panel", id: "ioc-wall-panel" },
    h("h2", {}, t("ioc.wall"), count, scope, h("span", { class: "spacer" }), pager), error, empty, wall);

  function shrink() {
    for (const tile of wall.querySelectorAll(".tile.enlarged")) tile.classList.remove("enlarged");
  }
  wall.addEventListener("click", (ev) => {
    const tile = ev.target.closest(".tile");
    if (!tile) return;
    const grow = !tile.classList.contains("enlarged");
    shrink();
    tile.classList.toggle("enlarged", grow);
  });
  const onKey = (ev) => { if (ev.key === "Escape") shrink(); };
  document.addEventListener("keydown", onKey);

  // On the video wall the panel has a fixed height: pick the column count that gives the
  // largest 16:9 tiles without scrolling. Elsewhere the page scrolls: a square-ish grid.
  const fitted = window.matchMedia("(min-width: 1600px) and (min-height: 700px)");
  function fit() {
    const n = tiles.size;
    if (!n) return;
    const gap = parseFloat(getComputedStyle(wall).columnGap) || 0;
    const width = wall.clientWidth;
    const height = wall.clientHeight;
    let best = { cols: Math.min(4, Math.ceil(Math.sqrt(n))), size: 0 };
    if (fitted.matches && height > 0) {
      for (let cols = 1; cols <= n; cols++) {
        const rows = Math.ceil(n / cols);
        const size = Math.min((width - gap * (cols - 1)) / cols, ((height - gap * (rows - 1)) / rows) * 16 / 9);
        if (size > best.size) best = { cols, size };
      }
    }
    wall.style.setProperty("--cols", String(best.cols));
    wall.style.setProperty("--tile-w", best.size ? `${Math.floor(best.size)}px` : "1fr");
  }
  const resized = new ResizeObserver(() => fit());
  resized.observe(wall);

  async function stopTiles() {
    const old = [...tiles.values()];
    tiles = new Map();
    await Promise.all(old.map((tile) => tile.stop()));
  }

  async function load() {
    const mine = ++loading;
    let data;
    try {
      data = await api.get("cameras", { unit: unit?.code, limit: perPage, offset: page * perPage });
    } catch (err) {
      error.textContent = t("ioc.wall_failed", { detail: describe(err) });
      error.hidden = false;
      return;
    }
    if (mine !== loading || !alive) return; // a newer choice of unit or page won
    error.hidden = true;
    const pages = Math.max(1, Math.ceil(data.total / perPage));
    if (page >= pages && data.total) { page = pages - 1; load(); return; }
    count.textContent = t("ioc.cameras_n", { n: data.total });
    pager.hidden = data.total <= perPage;
    pageLabel.textContent = t("ioc.page", { page: page + 1, pages });
    prev.disabled = page === 0;
    next.disabled = page + 1 >= pages;
    empty.hidden = data.items.length > 0;
    await stopTiles();
    if (mine !== loading || !alive) return;
    for (const cam of data.items) tiles.set(cam.id, cameraTile(ctx, cam));
    fill(wall, [...tiles.values()].map((tile) => tile.el));
    fit();
    for (const tile of tiles.values()) tile.start();
  }

  return {
    el,
    setUnit(u) { unit = u; page = 0; scope.textContent = u ? u.name : ""; return load(); },
    /** A camera.state event: the badge at once, then the problems (black, frozen) from its health. */
    onCameraState(id, data) {
      const tile = tiles.get(id);
      if (!tile) return;
      if (data?.new) tile.setState(data.new);
      tile.refreshHealth();
    },
    refreshAll() { for (const tile of tiles.values()) tile.refreshHealth(); },
    stop() {
      alive = false;
      document.removeEventListener("keydown", onKey);
      resized.disconnect();
      return stopTiles();
    },
  };
}

// --- the view -----------------------------------------------------------------------------------

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
  fill(el, h("div", { class: "row ioc-bar" }, h("strong", {}, t("ioc.title")), live, updated, unitChip), grid);

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

  const touch = () => { updated.textContent = t("ioc.updated", { time: new Date().toLocaleTimeString(language() === "vi" ? "vi-VN" : "en-GB", { hour12: false }) }); };
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
