/**
 * The meeting host's console (compare Cisco TMS booking + conference control):
 *
 *   #/host                    sessions: live, scheduled, recently ended
 *   #/host/new                a new session: scope on the unit tree, saved scopes, start now or schedule
 *   #/host/<id>               the live participant board of one session
 *   #/host/<id>/attendance    who joined, when, for how long; CSV for the minutes
 *
 * The board is fed by sessions/{id}/events (a snapshot, then one event per
 * participant change). Tiles are kept per participant and updated in place,
 * so a click on a tile's button is never lost to a re-render of the board.
 */
import { h, fill, when, badge, download, useStyle } from "../lib/dom.js";
import { register, t, stateName, language } from "../lib/i18n.js";
import { stream } from "../lib/sse.js";
import { loadTree, flatten, unitTree } from "../lib/units.js";
import { ApiError } from "../lib/api.js";

/** Participant states that hold a bridge port (controller/sessions/store.py HOLDING). */
const HOLDING = new Set(["waiting", "dialling", "ringing", "connected", "dropped", "redialling"]);
/** Under way: neither in the call nor given up. */
const PENDING = new Set(["waiting", "dialling", "ringing", "dropped", "redialling"]);
/** Endpoint states in which the controller lists a participant as unavailable at start. */
const DOWN = new Set(["offline", "unreachable", "auth_failed", "hostkey_mismatch", "hostkey_unpinned"]);
const CALL_RATES = [384, 512, 768, 1024, 1472, 1920, 2048, 3072, 4096, 6000];
const FEED_MAX = 300;

register({
  vi: {
    "host.sessions": "Phiên họp",
    "host.new": "Phiên họp mới",
    "host.live_sessions": "Đang diễn ra",
    "host.scheduled_sessions": "Đã lên lịch",
    "host.recent_sessions": "Gần đây",
    "host.none_live": "Không có phiên họp nào đang diễn ra",
    "host.none_scheduled": "Không có phiên họp nào được lên lịch",
    "host.none_recent": "Chưa có phiên họp nào kết thúc",
    "host.col_title": "Tiêu đề",
    "host.col_status": "Trạng thái",
    "host.col_start": "Bắt đầu",
    "host.col_end": "Kết thúc",
    "host.col_participants": "Điểm cầu",
    "host.col_host": "Chủ trì",
    "host.col_conference": "Mã phòng",
    "host.joined_of": "{c}/{n} đã vào",
    "host.invited_n": "{n} được mời",
    "host.at": "lúc {time}",
    "host.back": "← Danh sách phiên họp",
    "host.back_board": "← Bảng điều khiển phiên",
    "host.scope": "Phạm vi",
    "host.settings": "Thông tin phiên",
    "host.title": "Tiêu đề",
    "host.title_ph": "VD: Giao ban toàn tỉnh tháng 11",
    "host.saved_scope": "Phạm vi đã lưu",
    "host.saved_scope_pick": "— Chọn phạm vi đã lưu —",
    "host.saved_scope_delete": "Xóa phạm vi đã lưu này",
    "host.delete": "Xóa",
    "host.saved_scope_deleted": "Đã xóa phạm vi “{name}”",
    "host.saved_scope_confirm_delete": "Xóa phạm vi đã lưu “{name}”?",
    "host.save_scope": "Lưu phạm vi",
    "host.save_scope_ph": "Tên phạm vi, VD: Giao ban toàn tỉnh",
    "host.scope_saved": "Đã lưu phạm vi “{name}”",
    "host.scope_name_needed": "Nhập tên cho phạm vi",
    "host.units": "Đơn vị",
    "host.units_hint": "Chọn một đơn vị là chọn cả các đơn vị cấp dưới; bấm nút bên cạnh để chỉ lấy chính đơn vị đó.",
    "host.with_below": "Cả cấp dưới",
    "host.only_unit": "Chỉ đơn vị này",
    "host.unit_endpoints": "Số điểm cầu",
    "host.endpoints": "Điểm cầu riêng lẻ",
    "host.search_ph": "Tìm điểm cầu theo tên, đơn vị, địa chỉ…",
    "host.search_none": "Không tìm thấy điểm cầu nào",
    "host.search_more": "… và {n} điểm cầu khác, hãy gõ cụ thể hơn",
    "host.add": "Thêm",
    "host.picked": "Đã chọn",
    "host.covered": "Đã có trong đơn vị",
    "host.unpick": "Bỏ {name}",
    "host.scope_count": "Phạm vi gồm {n} điểm cầu",
    "host.scope_down": "{n} điểm cầu đang mất kết nối sẽ được ghi là không sẵn sàng",
    "host.scope_empty": "Chọn ít nhất một đơn vị hoặc một điểm cầu",
    "host.when": "Thời điểm",
    "host.start_now": "Bắt đầu ngay",
    "host.schedule": "Lên lịch",
    "host.start_at": "Bắt đầu lúc",
    "host.start_at_needed": "Chọn thời điểm bắt đầu",
    "host.duration": "Thời lượng (phút)",
    "host.duration_ph": "Không giới hạn",
    "host.duration_hint": "Phiên tự kết thúc sau thời lượng này",
    "host.bridge": "Cầu nối (MCU)",
    "host.bridge_ports": "{name} · {ports} cổng, {in_use} đang dùng",
    "host.conference_id": "Mã phòng",
    "host.conference_ph": "Tự động (6 chữ số)",
    "host.conference_hint": "Chữ, số và . _ -",
    "host.call_rate": "Tốc độ cuộc gọi (kbit/s)",
    "host.protocol": "Giao thức",
    "host.protocol_missing": "{protocol} (cầu nối không hỗ trợ)",
    "host.starting": "Đang bắt đầu…",
    "host.scheduled_ok": "Đã lên lịch “{title}” lúc {time}",
    "host.err_bridge_full": "Cầu nối không đủ cổng: có {ports} cổng, {in_use} đang dùng, còn trống {free}; phiên này cần {requested}.",
    "host.err_invalid": "Máy chủ từ chối: {detail}",
    "host.err_conflict": "Xung đột: {detail}",
    "host.cancel": "Hủy",
    "host.confirm": "Xác nhận",
    "host.live_conn": "Trực tiếp",
    "host.reconnecting": "Đang kết nối lại…",
    "host.not_found": "Không tìm thấy phiên họp này",
    "host.conference": "Mã phòng {id}",
    "host.rate": "{rate} kbit/s",
    "host.hosted_by": "Chủ trì: {name}",
    "host.started": "Bắt đầu {time}",
    "host.starts": "Bắt đầu lúc {time}",
    "host.elapsed": "Đã diễn ra {d}",
    "host.auto_end": "Tự kết thúc lúc {time}",
    "host.ended_at": "Kết thúc {time} ({by})",
    "host.ended_banner": "Phiên họp đã kết thúc. Xem điểm danh để lập biên bản.",
    "host.cancelled_banner": "Phiên họp đã bị hủy.",
    "host.scheduled_banner": "Phiên họp sẽ tự bắt đầu lúc {time}; bảng sẽ cập nhật khi các điểm cầu được gọi.",
    "host.count_connected": "Đã vào",
    "host.count_invited": "Được mời",
    "host.count_pending": "Đang gọi",
    "host.count_failed": "Thất bại",
    "host.count_unavailable": "Không sẵn sàng",
    "host.count_gone": "Đã rời / loại",
    "host.count_muted": "Tắt tiếng",
    "host.mute_all": "Tắt tiếng tất cả",
    "host.unmute_all": "Bật tiếng tất cả",
    "host.add_endpoint": "Thêm điểm cầu",
    "host.attendance": "Điểm danh",
    "host.end": "Kết thúc phiên",
    "host.ending": "Đang kết thúc…",
    "host.cancel_session": "Hủy phiên",
    "host.confirm_end": "Kết thúc phiên “{title}”? Tất cả {n} điểm cầu đang kết nối sẽ bị ngắt.",
    "host.confirm_cancel": "Hủy phiên đã lên lịch “{title}”?",
    "host.confirm_remove": "Loại {name} khỏi phiên? Điểm cầu sẽ bị ngắt và không được gọi lại.",
    "host.ended_ok": "Đã kết thúc phiên “{title}”",
    "host.ended_unconfirmed": "Đã kết thúc phiên; {n} điểm cầu chưa xác nhận ngắt cuộc gọi",
    "host.mute": "Tắt tiếng",
    "host.unmute": "Bật tiếng",
    "host.muted": "Đã tắt tiếng",
    "host.redial": "Gọi lại",
    "host.remove": "Loại",
    "host.attempts": "Gọi {n} lần",
    "host.drops": "Rớt {n} lần",
    "host.muted_n": "Đã tắt tiếng {n} điểm cầu",
    "host.unmuted_n": "Đã bật tiếng {n} điểm cầu",
    "host.mute_failed": "{n} điểm cầu lỗi: {list}",
    "host.redial_ok": "Đang gọi lại {name}",
    "host.removed_ok": "Đã loại {name}",
    "host.added_ok": "Đã thêm {name}",
    "host.filter_ph": "Lọc theo tên, đơn vị…",
    "host.filter_all": "Tất cả",
    "host.filter_problems": "Chưa vào",
    "host.filter_muted": "Đang tắt tiếng",
    "host.no_match": "Không có điểm cầu nào khớp bộ lọc",
    "host.no_participants": "Chưa có điểm cầu nào",
    "host.feed": "Diễn biến",
    "host.feed_empty": "Chưa có diễn biến",
    "host.feed_started": "Phiên bắt đầu: {invited} được mời, {unavailable} không sẵn sàng",
    "host.feed_ended": "Phiên kết thúc ({by})",
    "host.feed_cancelled": "Phiên bị hủy ({by})",
    "host.feed_scheduled": "Lên lịch lúc {time}",
    "host.feed_muted": "{name}: đã tắt tiếng",
    "host.feed_unmuted": "{name}: đã bật tiếng",
    "host.action.add": "thêm",
    "host.action.remove": "loại",
    "host.action.redial": "gọi lại",
    "host.action.mute": "tắt tiếng",
    "host.action.unmute": "bật tiếng",
    "host.action_all": "{by}: {action} {n} điểm cầu",
    "host.action_one": "{by}: {action} {name}",
    "host.add_title": "Thêm điểm cầu vào phiên",
    "host.add_busy": "Đang trong phiên",
    "host.close": "Đóng",
    "host.att_title": "Điểm danh",
    "host.att_invited": "Được mời",
    "host.att_joined": "Đã vào",
    "host.att_rate": "Tỉ lệ tham dự",
    "host.att_download": "Tải CSV",
    "host.att_refresh": "Làm mới",
    "host.att_live_note": "Phiên đang diễn ra: thời gian họp được tính đến hiện tại và tự làm mới.",
    "host.att_endpoint": "Điểm cầu",
    "host.att_unit": "Đơn vị",
    "host.att_final": "Trạng thái",
    "host.att_cause": "Lý do",
    "host.att_join": "Vào lúc",
    "host.att_leave": "Rời lúc",
    "host.att_connected": "Thời gian họp",
    "host.att_drops": "Số lần rớt",
    "host.att_attempts": "Số lần gọi",
    "host.att_empty": "Phiên chưa có điểm cầu nào",
    "host.downloaded": "Đã tải {name}",
  },
  en: {
    "host.sessions": "Sessions",
    "host.new": "New session",
    "host.live_sessions": "Live",
    "host.scheduled_sessions": "Scheduled",
    "host.recent_sessions": "Recent",
    "host.none_live": "No session is live",
    "host.none_scheduled": "No session is scheduled",
    "host.none_recent": "No session has ended yet",
    "host.col_title": "Title",
    "host.col_status": "Status",
    "host.col_start": "Start",
    "host.col_end": "End",
    "host.col_participants": "Endpoints",
    "host.col_host": "Host",
    "host.col_conference": "Conference",
    "host.joined_of": "{c}/{n} connected",
    "host.invited_n": "{n} invited",
    "host.at": "at {time}",
    "host.back": "← Sessions",
    "host.back_board": "← Session board",
    "host.scope": "Scope",
    "host.settings": "Session",
    "host.title": "Title",
    "host.title_ph": "E.g. Province-wide briefing, November",
    "host.saved_scope": "Saved scope",
    "host.saved_scope_pick": "— Pick a saved scope —",
    "host.saved_scope_delete": "Delete this saved scope",
    "host.delete": "Delete",
    "host.saved_scope_deleted": "Deleted scope “{name}”",
    "host.saved_scope_confirm_delete": "Delete the saved scope “{name}”?",
    "host.save_scope": "Save scope",
    "host.save_scope_ph": "Scope name, e.g. Province-wide briefing",
    "host.scope_saved": "Saved scope “{name}”",
    "host.scope_name_needed": "Name the scope",
    "host.units": "Units",
    "host.units_hint": "A checked unit includes every unit below it; use the button beside it to take that unit only.",
    "host.with_below": "With units below",
    "host.only_unit": "This unit only",
    "host.unit_endpoints": "Endpoints",
    "host.endpoints": "Single endpoints",
    "host.search_ph": "Find an endpoint by name, unit, address…",
    "host.search_none": "No endpoint found",
    "host.search_more": "… and {n} more, type more precisely",
    "host.add": "Add",
    "host.picked": "Picked",
    "host.covered": "In a picked unit",
    "host.unpick": "Remove {name}",
    "host.scope_count": "The scope holds {n} endpoints",
    "host.scope_down": "{n} endpoints are offline and will be listed as unavailable",
    "host.scope_empty": "Pick at least one unit or endpoint",
    "host.when": "When",
    "host.start_now": "Start now",
    "host.schedule": "Schedule",
    "host.start_at": "Starts at",
    "host.start_at_needed": "Pick the start time",
    "host.duration": "Duration (minutes)",
    "host.duration_ph": "No limit",
    "host.duration_hint": "The session ends by itself after this long",
    "host.bridge": "Bridge (MCU)",
    "host.bridge_ports": "{name} · {ports} ports, {in_use} in use",
    "host.conference_id": "Conference id",
    "host.conference_ph": "Automatic (6 digits)",
    "host.conference_hint": "Letters, digits and . _ -",
    "host.call_rate": "Call rate (kbit/s)",
    "host.protocol": "Protocol",
    "host.protocol_missing": "{protocol} (not on this bridge)",
    "host.starting": "Starting…",
    "host.scheduled_ok": "Scheduled “{title}” at {time}",
    "host.err_bridge_full": "Not enough bridge ports: {ports} ports, {in_use} in use, {free} free; this session needs {requested}.",
    "host.err_invalid": "Refused by the server: {detail}",
    "host.err_conflict": "Conflict: {detail}",
    "host.cancel": "Cancel",
    "host.confirm": "Confirm",
    "host.live_conn": "Live",
    "host.reconnecting": "Reconnecting…",
    "host.not_found": "This session does not exist",
    "host.conference": "Conference {id}",
    "host.rate": "{rate} kbit/s",
    "host.hosted_by": "Host: {name}",
    "host.started": "Started {time}",
    "host.starts": "Starts at {time}",
    "host.elapsed": "Running for {d}",
    "host.auto_end": "Ends by itself at {time}",
    "host.ended_at": "Ended {time} ({by})",
    "host.ended_banner": "The session has ended. Open the attendance for the minutes.",
    "host.cancelled_banner": "The session was cancelled.",
    "host.scheduled_banner": "The session starts by itself at {time}; the board updates as the endpoints are called.",
    "host.count_connected": "Connected",
    "host.count_invited": "Invited",
    "host.count_pending": "Calling",
    "host.count_failed": "Failed",
    "host.count_unavailable": "Unavailable",
    "host.count_gone": "Left / removed",
    "host.count_muted": "Muted",
    "host.mute_all": "Mute all",
    "host.unmute_all": "Unmute all",
    "host.add_endpoint": "Add endpoint",
    "host.attendance": "Attendance",
    "host.end": "End session",
    "host.ending": "Ending…",
    "host.cancel_session": "Cancel session",
    "host.confirm_end": "End “{title}”? All {n} connected endpoints will be hung up.",
    "host.confirm_cancel": "Cancel the scheduled session “{title}”?",
    "host.confirm_remove": "Remove {name} from the session? It is hung up and not redialled.",
    "host.ended_ok": "Ended “{title}”",
    "host.ended_unconfirmed": "Session ended; {n} endpoints did not confirm the hang-up",
    "host.mute": "Mute",
    "host.unmute": "Unmute",
    "host.muted": "Muted",
    "host.redial": "Redial",
    "host.remove": "Remove",
    "host.attempts": "Dials: {n}",
    "host.drops": "Drops: {n}",
    "host.muted_n": "Muted {n} endpoints",
    "host.unmuted_n": "Unmuted {n} endpoints",
    "host.mute_failed": "{n} failed: {list}",
    "host.redial_ok": "Redialling {name}",
    "host.removed_ok": "Removed {name}",
    "host.added_ok": "Added {name}",
    "host.filter_ph": "Filter by name, unit…",
    "host.filter_all": "All",
    "host.filter_problems": "Not connected",
    "host.filter_muted": "Muted",
    "host.no_match": "No endpoint matches the filter",
    "host.no_participants": "No endpoints yet",
    "host.feed": "Activity",
    "host.feed_empty": "Nothing yet",
    "host.feed_started": "Session started: {invited} invited, {unavailable} unavailable",
    "host.feed_ended": "Session ended ({by})",
    "host.feed_cancelled": "Session cancelled ({by})",
    "host.feed_scheduled": "Scheduled for {time}",
    "host.feed_muted": "{name}: muted",
    "host.feed_unmuted": "{name}: unmuted",
    "host.action.add": "added",
    "host.action.remove": "removed",
    "host.action.redial": "redialled",
    "host.action.mute": "muted",
    "host.action.unmute": "unmuted",
    "host.action_all": "{by}: {action} {n} endpoints",
    "host.action_one": "{by}: {action} {name}",
    "host.add_title": "Add an endpoint to the session",
    "host.add_busy": "Already in",
    "host.close": "Close",
    "host.att_title": "Attendance",
    "host.att_invited": "Invited",
    "host.att_joined": "Joined",
    "host.att_rate": "Turnout",
    "host.att_download": "Download CSV",
    "host.att_refresh": "Refresh",
    "host.att_live_note": "The session is live: connected time counts up to now and refreshes by itself.",
    "host.att_endpoint": "Endpoint",
    "host.att_unit": "Unit",
    "host.att_final": "State",
    "host.att_cause": "Cause",
    "host.att_join": "Joined",
    "host.att_leave": "Left",
    "host.att_connected": "Time connected",
    "host.att_drops": "Drops",
    "host.att_attempts": "Dials",
    "host.att_empty": "The session has no endpoints",
    "host.downloaded": "Downloaded {name}",
  },
});

export async function mount(el, ctx, _route, id, sub) {
  useStyle("views/host.css");
  if (!id) return mountList(el, ctx);
  if (id === "new") return mountNew(el, ctx);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    // A mistyped link: say so, rather than a stream that would retry a 422 forever.
    fill(el, h("p", { class: "error", role: "alert" }, t("host.not_found")), h("a", { href: "#/host" }, t("host.back")));
    return () => {};
  }
  if (sub === "attendance") return mountAttendance(el, ctx, id);
  return mountBoard(el, ctx, id);
}

// -- small helpers ------------------------------------------------------------------------

const at = (iso) => when(iso, language());

/** 3725 → "1:02:05": connected time and elapsed time, the form a meeting's minutes use. */
function duration(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return `${Math.floor(s / 3600)}:${mm}:${ss}`;
}

/** Participants of a session, by the key the board keeps them under (endpoint_id, or the name once deleted). */
const partKey = (p) => p.endpoint_id || `name:${p.endpoint_name}`;

/** What to tell the host about a failed request: the problem's detail, the bridge counts for a 409. */
function problemText(err) {
  if (!(err instanceof ApiError)) return err?.message || String(err);
  const p = err.problem;
  if (err.status === 409 && p.ports !== undefined && p.free !== undefined) {
    return t("host.err_bridge_full", { ports: p.ports, in_use: p.in_use, requested: p.requested, free: p.free });
  }
  if (err.status === 422) return t("host.err_invalid", { detail: err.describe() });
  if (err.status === 409) return t("host.err_conflict", { detail: err.describe() });
  return err.describe();
}

/** The form fields a problem points at: "body.scope.units.0" → "scope", field "start_at" → "start_at". */
function problemFields(err) {
  const out = new Map();
  if (!(err instanceof ApiError)) return out;
  const top = (loc) => loc.replace(/^body\.?/, "").split(/[.[]/)[0];
  for (const e of err.errors) out.set(top(e.location) || "form", e.reason);
  if (err.problem.field) out.set(top(err.problem.field), err.problem.detail);
  if (err.status === 409 && err.problem.ports !== undefined) out.set("bridge", problemText(err));
  return out;
}

/** A modal yes/no in the console's own look (window.confirm cannot be styled or translated). */
function confirmBox(text, { ok = t("host.confirm"), danger = false } = {}) {
  return new Promise((resolve) => {
    const dlg = h("dialog", { class: "host-dialog", id: "host-confirm" },
      h("p", {}, text),
      h("div", { class: "row actions" },
        h("button", { type: "button", "data-confirm": "cancel", onclick: () => close(false) }, t("host.cancel")),
        h("button", { type: "button", class: danger ? "danger" : "primary", "data-confirm": "ok", onclick: () => close(true) }, ok)));
    function close(value) {
      if (!dlg.isConnected) return;
      dlg.close();
      dlg.remove();
      resolve(value);
    }
    dlg.addEventListener("cancel", (ev) => { ev.preventDefault(); close(false); });
    document.body.append(dlg);
    dlg.showModal();
    dlg.querySelector("[data-confirm=cancel]").focus();
  });
}

function closeDialogs() {
  for (const d of document.querySelectorAll("dialog.host-dialog")) { d.close(); d.remove(); }
}

/** Every registered endpoint (the scope count and the search need them all). */
async function loadAllEndpoints(api) {
  const out = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await api.get("endpoints", { limit: 1000, offset });
    out.push(...page.items);
    if (!page.items.length || out.length >= page.total) return out;
  }
}

/** Case- and accent-insensitive text ("ha noi" finds "Hà Nội"). */
function fold(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
}

function endpointMatches(ep, query) {
  const q = fold(query).trim();
  if (!q) return true;
  return fold(`${ep.name} ${ep.unit?.name} ${ep.unit?.code} ${ep.host} ${ep.description || ""}`).includes(q);
}

/** A search box over endpoints with an action per result (add to scope, add to session). */
function endpointSearch(endpoints, { action, limit = 30, id }) {
  const input = h("input", { type: "search", placeholder: t("host.search_ph"), class: "ep-search", id, autocomplete: "off" });
  const list = h("ul", { class: "ep-results" });
  function render() {
    const q = input.value.trim();
    if (!q) { list.replaceChildren(); list.hidden = true; return; }
    const found = endpoints.filter((ep) => endpointMatches(ep, q));
    list.hidden = false;
    fill(list,
      found.length ? null : h("li", { class: "muted" }, t("host.search_none")),
      found.slice(0, limit).map((ep) => h("li", { "data-endpoint": ep.name },
        h("span", { class: "ep-name" }, ep.name),
        h("span", { class: "ep-unit muted", title: ep.unit?.code }, ep.unit?.name),
        badge(ep.state, stateName(ep.state)),
        action(ep))),
      found.length > limit ? h("li", { class: "muted" }, t("host.search_more", { n: found.length - limit })) : null);
  }
  input.addEventListener("input", render);
  return { el: h("div", { class: "ep-search-box" }, input, list), render, input };
}

// -- sessions list ------------------------------------------------------------------------

function mountList(el, ctx) {
  const { api } = ctx;
  const live = h("div", { class: "scroll", id: "host-live" });
  const scheduled = h("div", { class: "scroll", id: "host-scheduled" });
  const recent = h("div", { class: "scroll", id: "host-recent" });
  const error = h("p", { class: "error", role: "alert" });
  fill(el,
    h("div", { class: "row host-head" },
      h("h1", {}, t("host.sessions")),
      h("span", { class: "spacer" }),
      h("button", { type: "button", class: "primary", id: "host-new", onclick: () => ctx.go("host/new") }, `+ ${t("host.new")}`)),
    error,
    h("div", { class: "grid host-lists" },
      h("section", { class: "panel live" }, h("h2", {}, h("span", { class: "dot" }), t("host.live_sessions")), live),
      h("section", { class: "panel" }, h("h2", {}, t("host.scheduled_sessions")), scheduled),
      h("section", { class: "panel" }, h("h2", {}, t("host.recent_sessions")), recent)));

  const open = (s) => ctx.go(`host/${s.id}`);
  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const [l, s, any] = await Promise.all([
        api.get("sessions", { status: "live", limit: 200 }),
        api.get("sessions", { status: "scheduled", limit: 100 }),
        api.get("sessions", { limit: 60 }),
      ]);
      fill(live, sessionTable(l.items, "live", open) || h("p", { class: "muted" }, t("host.none_live")));
      fill(scheduled, sessionTable([...s.items].sort((a, b) => Date.parse(a.start_at) - Date.parse(b.start_at)), "scheduled", open)
        || h("p", { class: "muted" }, t("host.none_scheduled")));
      const done = any.items.filter((x) => x.status === "ended" || x.status === "cancelled").slice(0, 25);
      fill(recent, sessionTable(done, "ended", open) || h("p", { class: "muted" }, t("host.none_recent")));
      error.textContent = "";
    } catch (err) {
      error.textContent = problemText(err);
    } finally {
      busy = false;
    }
  }
  refresh();
  // Started and ended sessions arrive at once; the live counts move with every participant,
  // which the outbox does not carry, so those are re-read every few seconds.
  const stop = stream(api, "events/stream", () => refresh(), { query: { types: "session." } });
  const timer = setInterval(refresh, 5000);
  return () => { stop(); clearInterval(timer); };
}

function sessionTable(items, kind, open) {
  if (!items.length) return null;
  const people = (s) => {
    const invited = Object.values(s.counts || {}).reduce((a, b) => a + b, 0);
    if (kind === "live") return t("host.joined_of", { c: s.counts?.connected || 0, n: invited });
    return invited ? t("host.invited_n", { n: invited }) : "—";
  };
  return h("table", { class: "sessions" },
    h("thead", {}, h("tr", {},
      h("th", {}, t("host.col_title")), h("th", {}, t("host.col_status")),
      h("th", {}, t("host.col_start")), kind === "scheduled" ? null : h("th", {}, t("host.col_end")),
      h("th", {}, t("host.col_participants")), h("th", {}, t("host.col_host")), h("th", {}, t("host.col_conference")))),
    h("tbody", {}, items.map((s) => h("tr", { class: "clickable", "data-session": s.id, tabindex: 0,
      onclick: () => open(s), onkeydown: (ev) => { if (ev.key === "Enter") open(s); } },
      h("td", { class: "title" }, s.title),
      h("td", {}, badge(s.status, stateName(s.status))),
      h("td", {}, at(s.started_at || s.start_at)),
      kind === "scheduled" ? null : h("td", {}, at(s.ended_at)),
      h("td", { class: "num" }, people(s)),
      h("td", {}, s.host),
      h("td", { class: "mono" }, s.conference_id)))));
}

// -- new session ----------------------------------------------------------------------------

/**
 * The scope picker: units on the shared tree (checked = with every unit below,
 * or "this unit only"), single endpoints from a search, and the exact count the
 * controller will resolve (computed here from the registry, the same rule as
 * controller/sessions/scope.py).
 */
function scopePicker(roots, endpoints, onChange) {
  const flat = flatten(roots);
  const byCode = new Map(flat.map(({ node, depth }) => [node.code, { node, depth }]));
  const codeById = new Map(flat.map(({ node }) => [node.id, node.code]));
  const parent = new Map();
  for (const { node } of flat) for (const child of node.children || []) parent.set(child.code, node.code);
  const direct = new Map();
  for (const ep of endpoints) direct.set(ep.unit?.code, (direct.get(ep.unit?.code) || 0) + 1);
  const epById = new Map(endpoints.map((ep) => [ep.id, ep]));

  const only = new Set(); // checked units taken without the units below them
  const picked = new Map(); // endpoint id → endpoint
  let checkedSet = new Set();

  const tree = unitTree(roots, { checkable: true, open: 2, extra: unitExtra });
  tree.el.classList.add("scope-tree");
  tree.el.addEventListener("change", (ev) => {
    if (ev.target.matches("input[type=checkbox]") && !ev.target.checked) only.delete(ev.target.value);
    changed();
  });

  function unitExtra(node) {
    const checked = checkedSet.has(node.code);
    const alone = checked && only.has(node.code);
    const n = alone ? direct.get(node.code) || 0 : node.endpoints;
    const count = h("span", { class: "ucount", title: t("host.unit_endpoints") }, String(n));
    if (!checked || !(node.children || []).length) return count;
    const mode = h("button", { type: "button", class: `mode${alone ? " alone" : ""}`, "data-mode-for": node.code,
      "aria-pressed": String(alone), onclick: () => { setOnly(node.code, !alone); changed(); } },
      alone ? t("host.only_unit") : t("host.with_below"));
    return [mode, count];
  }

  /** "This unit only" frees the units below it to be picked one by one; back to the subtree clears them. */
  function setOnly(code, on) {
    if (on) {
      only.add(code);
      const li = tree.el.querySelector(`li[data-unit="${CSS.escape(code)}"]`);
      for (const box of li?.querySelectorAll(":scope > ul input[type=checkbox]") || []) box.disabled = false;
      // Open the unit: the host usually frees its children to pick some of them.
      if (li?.querySelector(":scope > ul")?.hidden) li.querySelector(":scope > div .toggle")?.click();
    } else {
      only.delete(code);
      tree.check(code, true); // the tree's own handler clears and disables everything below
    }
  }

  const search = endpointSearch(endpoints, { id: "host-ep-search", action: (ep) => {
    if (picked.has(ep.id)) return h("button", { type: "button", disabled: true }, t("host.picked"));
    if (coveredByUnits(ep)) return h("button", { type: "button", disabled: true, title: t("host.covered") }, t("host.covered"));
    return h("button", { type: "button", "data-add": ep.name, onclick: () => { picked.set(ep.id, ep); changed(); } }, t("host.add"));
  } });
  const chips = h("div", { class: "chips", id: "host-picked" });

  function units() {
    return tree.checked().map((n) => ({ unit: n.code, subtree: !only.has(n.code) }));
  }

  function coveredByUnits(ep, chosen = new Map(units().map((u) => [u.unit, u.subtree]))) {
    const code = ep.unit?.code;
    if (chosen.has(code)) return true;
    for (let up = parent.get(code); up; up = parent.get(up)) if (chosen.get(up) === true) return true;
    return false;
  }

  function selected() {
    const chosen = new Map(units().map((u) => [u.unit, u.subtree]));
    return endpoints.filter((ep) => picked.has(ep.id) || coveredByUnits(ep, chosen));
  }

  function changed() {
    checkedSet = new Set(tree.checked().map((n) => n.code));
    for (const code of [...only]) if (!checkedSet.has(code)) only.delete(code);
    tree.refresh();
    fill(chips, [...picked.values()].map((ep) => h("span", { class: "chip", "data-endpoint": ep.name },
      ep.name,
      h("button", { type: "button", class: "x", "aria-label": t("host.unpick", { name: ep.name }), title: t("host.unpick", { name: ep.name }),
        onclick: () => { picked.delete(ep.id); changed(); } }, "×"))));
    search.render();
    onChange();
  }

  function clear() {
    for (const n of tree.checked()) tree.check(n.code, false);
    only.clear();
    picked.clear();
  }

  /** Show a saved scope in the picker (unit ids or codes, parents first so "only" can free their children). */
  function apply(scope) {
    clear();
    const items = (scope.units || [])
      .map((u) => ({ code: byCode.has(u.unit) ? u.unit : codeById.get(u.unit), subtree: u.subtree !== false }))
      .filter((u) => u.code)
      .sort((a, b) => byCode.get(a.code).depth - byCode.get(b.code).depth);
    for (const u of items) {
      tree.check(u.code, true);
      if (!u.subtree) setOnly(u.code, true);
    }
    for (const id of scope.endpoints || []) if (epById.has(id)) picked.set(id, epById.get(id));
    changed();
  }

  const el = h("div", { class: "scope-picker" },
    h("h3", {}, t("host.units")),
    h("p", { class: "muted hint" }, t("host.units_hint")),
    h("div", { class: "tree-box" }, tree.el),
    h("h3", {}, t("host.endpoints")),
    search.el,
    chips);
  changed();
  return { el, scope: () => ({ units: units(), endpoints: [...picked.keys()] }), selected, apply, clear };
}

/** Two scopes select the same thing (order aside): the saved scope is then sent by id. */
function sameScope(a, b, codeById) {
  const norm = (s) => JSON.stringify({
    units: (s.units || []).map((u) => `${codeById.get(u.unit) || u.unit}:${u.subtree !== false}`).sort(),
    endpoints: [...(s.endpoints || [])].sort(),
  });
  return norm(a) === norm(b);
}

/** "2025-11-24T09:00" in local time, an hour from now on the quarter: the usual first guess. */
function nextQuarterHour() {
  const d = new Date(Date.now() + 3600_000);
  d.setMinutes(Math.ceil(d.getMinutes() / 15) * 15, 0, 0);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

async function mountNew(el, ctx) {
  const { api } = ctx;
  fill(el, h("p", { class: "muted" }, t("app.loading")));
  let roots, endpoints, bridges, scopes;
  try {
    [roots, endpoints, bridges, scopes] = await Promise.all([
      loadTree(api), loadAllEndpoints(api), api.get("bridges"), api.get("scopes")]);
  } catch (err) {
    fill(el, h("p", { class: "error", role: "alert" }, problemText(err)));
    return () => {};
  }
  const codeById = new Map(flatten(roots).map(({ node }) => [node.id, node.code]));

  // Per-field error slots: a refused request is explained next to what caused it.
  const slots = {};
  const slot = (name) => (slots[name] = h("small", { class: "error field-error", "data-error-for": name, role: "alert" }));
  const field = (name, label, input, hint) => h("label", { class: "field", "data-field": name },
    h("span", { class: "label" }, label), input, hint ? h("small", { class: "muted" }, hint) : null, slot(name));

  const count = h("p", { class: "scope-count", id: "host-scope-count", "data-count": "0", "aria-live": "polite" });
  const down = h("p", { class: "scope-down warn" });
  let picker = null; // the picker reports its first change while it is being built
  picker = scopePicker(roots, endpoints, () => {
    const sel = picker ? picker.selected() : [];
    count.textContent = t("host.scope_count", { n: sel.length });
    count.dataset.count = String(sel.length);
    const off = sel.filter((ep) => DOWN.has(ep.state)).length;
    down.textContent = off ? t("host.scope_down", { n: off }) : "";
    if (sel.length) clearError("scope");
  });
  picker.apply({ units: [], endpoints: [] });

  // Saved scopes: pick one to load it into the picker; if left unchanged it is sent by id.
  let applied = null;
  const savedSelect = h("select", { id: "host-saved-scope", "aria-label": t("host.saved_scope"),
    onchange: () => {
      applied = scopes.find((s) => s.id === savedSelect.value) || null;
      if (applied) picker.apply(applied.scope);
      delSaved.disabled = !applied;
    } });
  const delSaved = h("button", { type: "button", class: "danger", id: "host-delete-scope", disabled: true, title: t("host.saved_scope_delete"),
    onclick: deleteSaved }, t("host.delete"));
  function fillSaved() {
    fill(savedSelect, h("option", { value: "" }, t("host.saved_scope_pick")),
      scopes.map((s) => h("option", { value: s.id, selected: applied?.id === s.id }, s.name)));
    delSaved.disabled = !applied;
  }
  fillSaved();
  async function deleteSaved() {
    if (!applied || !(await confirmBox(t("host.saved_scope_confirm_delete", { name: applied.name }), { danger: true }))) return;
    try {
      await api.del(`scopes/${applied.id}`);
      ctx.toast(t("host.saved_scope_deleted", { name: applied.name }), "ok");
      scopes = scopes.filter((s) => s.id !== applied.id);
      applied = null;
      fillSaved();
    } catch (err) {
      showError("saved_scope", problemText(err));
    }
  }
  const scopeName = h("input", { id: "host-scope-name", placeholder: t("host.save_scope_ph"), maxlength: 100 });
  const saveScope = h("button", { type: "button", id: "host-save-scope", onclick: async () => {
    clearError("name");
    const name = scopeName.value.trim();
    if (!name) { showError("name", t("host.scope_name_needed")); return; }
    if (!picker.selected().length) { showError("scope", t("host.scope_empty")); return; }
    saveScope.disabled = true;
    try {
      const row = await api.post("scopes", { name, scope: picker.scope() });
      scopes = [...scopes, row].sort((a, b) => a.name.localeCompare(b.name));
      applied = row;
      fillSaved();
      scopeName.value = "";
      ctx.toast(t("host.scope_saved", { name }), "ok");
    } catch (err) {
      showError(problemFields(err).has("scope") ? "scope" : "name", problemText(err));
    } finally {
      saveScope.disabled = false;
    }
  } }, t("host.save_scope"));

  // Session settings.
  const title = h("input", { id: "host-title", name: "title", maxlength: 300, placeholder: t("host.title_ph"), autocomplete: "off" });
  const modeNow = h("input", { type: "radio", name: "when", value: "now", checked: true, onchange: syncMode });
  const modeLater = h("input", { type: "radio", name: "when", value: "schedule", onchange: syncMode });
  const startAt = h("input", { type: "datetime-local", id: "host-start-at", value: nextQuarterHour() });
  const minutes = h("input", { type: "number", id: "host-duration", min: 1, max: 1440, step: 1, placeholder: t("host.duration_ph") });
  const bridge = h("select", { id: "host-bridge", onchange: syncProtocols },
    bridges.map((b) => h("option", { value: b.id }, t("host.bridge_ports", { name: b.name, ports: b.ports, in_use: b.in_use }))));
  const conference = h("input", { id: "host-conference", maxlength: 64, placeholder: t("host.conference_ph"), autocomplete: "off" });
  const rate = h("select", { id: "host-rate" }, CALL_RATES.map((r) => h("option", { value: r, selected: r === 1920 }, String(r))));
  const protocol = h("select", { id: "host-protocol" });
  const formError = h("p", { class: "error form-error", id: "host-new-error", role: "alert" });
  const submit = h("button", { type: "submit", class: "primary big", id: "host-start" });
  const startAtField = field("start_at", t("host.start_at"), startAt);

  function syncMode() {
    const later = modeLater.checked;
    startAtField.hidden = !later;
    submit.textContent = later ? t("host.schedule") : t("host.start_now");
  }
  /** Offer only the protocols the chosen bridge has a dial pattern for. */
  function syncProtocols() {
    const b = bridges.find((x) => x.id === bridge.value);
    const keep = protocol.value || "sip";
    fill(protocol, ["sip", "h323"].map((p) => {
      const ok = !b || Boolean(b[`${p}_pattern`]);
      return h("option", { value: p, disabled: !ok, selected: p === keep && ok }, ok ? p.toUpperCase() : t("host.protocol_missing", { protocol: p.toUpperCase() }));
    }));
  }
  syncMode();
  syncProtocols();

  function clearError(name) {
    if (slots[name]) slots[name].textContent = "";
    slots[name]?.closest(".field, .panel")?.removeAttribute("data-invalid");
  }
  function clearErrors() {
    for (const name of Object.keys(slots)) clearError(name);
    formError.textContent = "";
  }
  function showError(name, text) {
    const target = slots[name] || formError;
    target.textContent = text;
    target.closest(".field, .panel")?.setAttribute("data-invalid", "");
  }

  async function onSubmit(ev) {
    ev.preventDefault();
    clearErrors();
    const scope = picker.scope();
    if (!picker.selected().length) { showError("scope", t("host.scope_empty")); formError.textContent = t("host.scope_empty"); return; }
    const body = { title: title.value, call_rate: Number(rate.value), protocol: protocol.value };
    if (bridges.length > 1) body.bridge = bridge.value;
    if (conference.value.trim()) body.conference_id = conference.value.trim();
    if (applied && sameScope(applied.scope, scope, codeById)) body.saved_scope = applied.id;
    else body.scope = scope;
    if (modeLater.checked) {
      if (!startAt.value) { showError("start_at", t("host.start_at_needed")); return; }
      body.start_at = new Date(startAt.value).toISOString(); // the browser's zone, sent as UTC
    }
    if (minutes.value !== "") body.duration_min = Number(minutes.value);
    submit.disabled = true;
    submit.textContent = t("host.starting");
    try {
      const session = await api.post("sessions", body);
      if (session.status === "scheduled") {
        ctx.toast(t("host.scheduled_ok", { title: session.title, time: at(session.start_at) }), "ok");
        ctx.go("host");
      } else {
        ctx.go(`host/${session.id}`);
      }
    } catch (err) {
      formError.textContent = problemText(err);
      for (const [name, reason] of problemFields(err)) if (slots[name]) showError(name, name === "bridge" ? problemText(err) : reason);
    } finally {
      submit.disabled = false;
      syncMode();
    }
  }

  const scopePanel = h("section", { class: "panel scope-panel", "data-field": "scope" },
    h("h2", {}, t("host.scope")),
    h("div", { class: "row saved" }, h("span", { class: "label" }, t("host.saved_scope")), savedSelect, delSaved),
    slot("saved_scope"),
    picker.el,
    h("div", { class: "row save-scope" }, scopeName, saveScope),
    slot("name"));
  const settings = h("section", { class: "panel settings-panel" },
    h("h2", {}, t("host.settings")),
    field("title", t("host.title"), title),
    h("fieldset", { class: "field when" }, h("legend", {}, t("host.when")),
      h("label", { class: "radio" }, modeNow, t("host.start_now")),
      h("label", { class: "radio" }, modeLater, t("host.schedule"))),
    startAtField,
    field("duration_min", t("host.duration"), minutes, t("host.duration_hint")),
    field("bridge", t("host.bridge"), bridge),
    h("div", { class: "row two" },
      field("conference_id", t("host.conference_id"), conference, t("host.conference_hint")),
      field("call_rate", t("host.call_rate"), rate),
      field("protocol", t("host.protocol"), protocol)),
    h("div", { class: "summary" }, count, down, slot("scope")),
    formError,
    h("div", { class: "row actions" },
      h("button", { type: "button", onclick: () => ctx.go("host") }, t("host.cancel")), submit));

  fill(el,
    h("div", { class: "row host-head" }, h("a", { href: "#/host" }, t("host.back")), h("h1", {}, t("host.new"))),
    h("form", { class: "host-new", id: "host-new-form", novalidate: true, onsubmit: onSubmit }, scopePanel, settings));
  title.focus();
  return () => closeDialogs();
}

// -- live board -------------------------------------------------------------------------------

function mountBoard(el, ctx, sessionId) {
  const { api } = ctx;
  let session = null;
  const parts = new Map(); // key → participant
  const tiles = new Map(); // key → tile element
  const groups = new Map(); // unit code → {el, tiles, head}
  const feedSeen = new Set();
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
  const query = h("input", { type: "search", placeholder: t("host.filter_ph"), id: "host-filter", oninput: () => applyFilter() });
  const filterSel = h("select", { id: "host-filter-state", onchange: () => { filter = filterSel.value; applyFilter(); } },
    h("option", { value: "all" }, t("host.filter_all")),
    h("option", { value: "problems" }, t("host.filter_problems")),
    h("option", { value: "muted" }, t("host.filter_muted")));
  const board = h("div", { class: "pboard", id: "host-board" });
  const empty = h("p", { class: "muted", hidden: true }, t("host.no_match"));
  const feed = h("ol", { class: "feed", id: "host-feed" });
  const error = h("p", { class: "error", role: "alert", id: "host-board-error" });

  fill(el,
    h("div", { class: "row host-head" }, h("a", { href: "#/host" }, t("host.back")), h("span", { class: "spacer" }), conn),
    error,
    h("section", { class: "panel board-head" },
      h("div", { class: "row" }, titleEl, statusEl, h("span", { class: "spacer" }), actions),
      info, banner, counters, progress),
    h("div", { class: "grid board-layout" },
      h("section", { class: "panel participants" },
        h("div", { class: "row filters" }, query, filterSel),
        h("div", { class: "scroll board-scroll" }, board, empty)),
      h("section", { class: "panel feed-panel" }, h("h2", {}, t("host.feed")), h("div", { class: "scroll" }, feed))));

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
    if (old.state !== data.state) feedPush({ at: data.at, kind: "participant", endpoint_name: data.endpoint_name, detail: { state: data.state, cause: data.cause } });
    else if (old.muted !== data.muted) feedPush({ at: data.at, kind: data.muted ? "muted" : "unmuted", endpoint_name: data.endpoint_name, detail: {} });
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
      if (data.participants) { applySnapshot(data); loadTimeline(); }
      else { if (session) session.status = data.status; reloadSoon(); renderHead(); }
    } else if (type === "participant") {
      applyPart(data);
    } else if (type === "end") {
      stop(); // the stream is over; the library would otherwise reconnect to an ended session
      conn.hidden = true;
      reloadSoon();
    }
  }

  stop = stream(api, `sessions/${sessionId}/events`, onEvent, {
    onState: (s, err) => {
      conn.hidden = false;
      conn.className = `conn ${s}`;
      conn.textContent = s === "open" ? `● ${t("host.live_conn")}` : s === "failed" ? "" : t("host.reconnecting");
      if (s === "failed") {
        conn.hidden = true;
        error.textContent = err?.status === 404 ? t("host.not_found") : problemText(err);
      }
    },
  });

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
    for (const g of groups.values()) {
      const mine = [...g.keys].map((k) => parts.get(k)).filter(Boolean);
      g.count.textContent = t("host.joined_of", { c: mine.filter((p) => p.state === "connected").length, n: mine.length });
    }
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
    for (const key of tiles.keys()) updateTile(key); // action buttons follow the session's status
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
      const unconfirmed = detail.participants.filter((p) => p.cause && p.cause.startsWith("hang-up not confirmed")).length;
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

  function group(p) {
    let g = groups.get(p.unit_code);
    if (g) return g;
    const count = h("span", { class: "gcount" });
    const tilesEl = h("div", { class: "ptiles" });
    g = { keys: new Set(), count, tilesEl,
      el: h("section", { class: "pgroup", "data-unit": p.unit_code },
        h("h3", {}, h("span", { class: "uname" }, p.unit_name), h("span", { class: "muted ucode" }, p.unit_code), h("span", { class: "spacer" }), count),
        tilesEl) };
    groups.set(p.unit_code, g);
    // Units in code order: a unit's code extends its parent's, so the province comes first.
    const after = [...groups.keys()].sort().filter((c) => c > p.unit_code).map((c) => groups.get(c).el).find((e) => e.isConnected);
    board.insertBefore(g.el, after || null);
    return g;
  }

  function updateTile(key) {
    const p = parts.get(key);
    if (!p) return;
    let tile = tiles.get(key);
    if (!tile) {
      tile = h("article", { class: "ptile", "data-endpoint": p.endpoint_name });
      tiles.set(key, tile);
      const g = group(p);
      g.keys.add(key);
      const next = [...g.tilesEl.children].find((e) => e.dataset.endpoint.localeCompare(p.endpoint_name) > 0);
      g.tilesEl.insertBefore(tile, next || null);
    }
    tile.dataset.state = p.state;
    tile.dataset.muted = String(Boolean(p.muted));
    tile.dataset.drops = String(p.drops);
    fill(tile, ...tileContent(p));
    tile.hidden = !visible(p);
  }

  function dropTile(key) {
    const tile = tiles.get(key);
    tile?.remove();
    tiles.delete(key);
    for (const [code, g] of groups) {
      g.keys.delete(key);
      if (!g.keys.size) { g.el.remove(); groups.delete(code); }
    }
  }

  function tileContent(p) {
    const live = session?.status === "live" && p.endpoint_id;
    const buttons = [];
    if (live && p.state === "connected") {
      buttons.push(h("button", { type: "button", "data-action": "mute", onclick: (ev) => act(ev.currentTarget, p, "mute") },
        p.muted ? t("host.unmute") : t("host.mute")));
    }
    if (live && !["connected", "waiting", "dialling", "ringing"].includes(p.state)) {
      buttons.push(h("button", { type: "button", "data-action": "redial", onclick: (ev) => act(ev.currentTarget, p, "redial") }, t("host.redial")));
    }
    if (live && HOLDING.has(p.state)) {
      buttons.push(h("button", { type: "button", class: "danger", "data-action": "remove", onclick: (ev) => act(ev.currentTarget, p, "remove") }, t("host.remove")));
    }
    const meta = [t("host.attempts", { n: p.attempts })];
    if (p.drops) meta.push(t("host.drops", { n: p.drops }));
    return [
      h("div", { class: "pt-name", title: `${p.endpoint_name} · ${p.unit_name}` }, p.endpoint_name),
      h("div", { class: "pt-state" }, badge(p.state, stateName(p.state)),
        p.muted && p.state === "connected" ? h("span", { class: "badge s-muted", "data-muted": "" }, t("host.muted")) : null),
      p.cause ? h("div", { class: "pt-cause", title: p.cause }, p.cause) : null,
      h("div", { class: "pt-meta muted" }, meta.join(" · ")),
      buttons.length ? h("div", { class: "pt-actions" }, buttons) : null,
    ];
  }

  function visible(p) {
    if (filter === "problems" && p.state === "connected") return false;
    if (filter === "muted" && !(p.muted && p.state === "connected")) return false;
    const q = query.value.trim();
    return !q || fold(`${p.endpoint_name} ${p.unit_name} ${p.unit_code}`).includes(fold(q));
  }

  function applyFilter() {
    let shown = 0;
    for (const [key, tile] of tiles) {
      const on = visible(parts.get(key));
      tile.hidden = !on;
      if (on) shown += 1;
    }
    for (const g of groups.values()) g.el.hidden = ![...g.keys].some((k) => !tiles.get(k)?.hidden);
    empty.hidden = shown > 0 || !parts.size;
    if (!parts.size) { empty.hidden = false; empty.textContent = t("host.no_participants"); } else empty.textContent = t("host.no_match");
  }

  /** Counters and group heads once per frame, however many participant events arrive. */
  function schedule() {
    if (dirty) return;
    dirty = true;
    requestAnimationFrame(() => { dirty = false; renderCounters(); applyFilter(); });
  }

  // -- activity feed ------------------------------------------------------------------------------

  async function loadTimeline() {
    try {
      let after = 0;
      const entries = [];
      for (let page = 0; page < 20; page += 1) {
        const rows = await api.get(`sessions/${sessionId}/timeline`, { after, limit: 1000 });
        entries.push(...rows);
        if (rows.length < 1000) break;
        after = rows[rows.length - 1].id;
      }
      for (const e of entries.slice(-FEED_MAX)) feedPush(e);
    } catch { /* the feed is a convenience; the board itself is already correct */ }
  }

  function feedText(e) {
    const d = e.detail || {};
    switch (e.kind) {
      case "participant": return [h("b", {}, e.endpoint_name), " ", badge(d.state, stateName(d.state)), d.cause ? h("span", { class: "muted" }, ` ${d.cause}`) : null];
      case "muted": return t("host.feed_muted", { name: e.endpoint_name });
      case "unmuted": return t("host.feed_unmuted", { name: e.endpoint_name });
      case "action": {
        const action = t(`host.action.${d.action}`);
        return e.endpoint_name ? t("host.action_one", { by: d.by, action, name: e.endpoint_name })
          : t("host.action_all", { by: d.by, action, n: d.participants ?? "" });
      }
      case "started": return t("host.feed_started", { invited: d.invited ?? 0, unavailable: d.unavailable ?? 0 });
      case "ended": return t("host.feed_ended", { by: d.by || "" });
      case "cancelled": return t("host.feed_cancelled", { by: d.by || "" });
      case "scheduled": return t("host.feed_scheduled", { time: at(d.start_at) });
      default: return `${e.kind} ${d.reason || ""}`;
    }
  }

  /** Newest first; the live event and the same timeline row are shown once. */
  function feedPush(e) {
    const key = `${e.kind}|${e.endpoint_name || ""}|${e.detail?.state || ""}|${Date.parse(e.at)}`;
    if (feedSeen.has(key)) return;
    feedSeen.add(key);
    const item = h("li", { "data-kind": e.kind, "data-endpoint": e.endpoint_name || null, "data-state": e.detail?.state || null, "data-at": Date.parse(e.at) },
      h("time", { datetime: e.at }, new Date(e.at).toLocaleTimeString(language() === "vi" ? "vi-VN" : "en-GB", { hour12: false })),
      h("span", { class: "what" }, feedText(e)));
    const next = [...feed.children].find((li) => Number(li.dataset.at) < Date.parse(e.at));
    feed.insertBefore(item, next || null);
    while (feed.children.length > FEED_MAX) feed.lastChild.remove();
  }

  return () => {
    stop();
    clearInterval(clock);
    clearTimeout(reloadTimer);
    closeDialogs();
  };
}

// -- attendance ---------------------------------------------------------------------------------

function mountAttendance(el, ctx, sessionId) {
  const { api } = ctx;
  const head = h("div", { class: "att-summary", id: "host-att-summary" });
  const table = h("div", { class: "scroll att-scroll" });
  const error = h("p", { class: "error", role: "alert", id: "host-att-error" });
  const note = h("p", { class: "muted", hidden: true }, t("host.att_live_note"));
  const csv = h("button", { type: "button", class: "primary", id: "host-att-csv", onclick: downloadCsv }, t("host.att_download"));
  const refreshBtn = h("button", { type: "button", id: "host-att-refresh", onclick: () => refresh() }, t("host.att_refresh"));
  const titleEl = h("h1", {}, t("host.att_title"));
  fill(el,
    h("div", { class: "row host-head" }, h("a", { href: `#/host/${sessionId}` }, t("host.back_board")), titleEl, h("span", { class: "spacer" }), refreshBtn, csv),
    error,
    h("section", { class: "panel" }, head, note, table));

  let timer = null;
  async function refresh() {
    try {
      const [att, detail] = await Promise.all([api.get(`sessions/${sessionId}/attendance`), api.get(`sessions/${sessionId}`)]);
      render(att, detail);
      error.textContent = "";
      const live = detail.status === "live";
      note.hidden = !live;
      clearInterval(timer);
      timer = live ? setInterval(refresh, 10000) : null;
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 404 ? t("host.not_found") : problemText(err);
    }
  }

  function render(att, detail) {
    titleEl.textContent = `${t("host.att_title")}: ${att.title}`;
    const rate = att.invited ? Math.round((100 * att.joined) / att.invited) : 0;
    const item = (label, value, name) => h("div", { class: "stat", "data-stat": name }, h("span", { class: "muted" }, label), h("b", {}, value));
    fill(head,
      item(t("host.col_status"), badge(detail.status, stateName(detail.status)), "status"),
      item(t("host.col_conference"), att.conference_id, "conference"),
      item(t("host.col_start"), at(att.started_at), "start"),
      item(t("host.col_end"), at(att.ended_at), "end"),
      item(t("host.att_invited"), String(att.invited), "invited"),
      item(t("host.att_joined"), String(att.joined), "joined"),
      item(t("host.att_rate"), `${rate}%`, "rate"));
    if (!att.participants.length) { fill(table, h("p", { class: "muted" }, t("host.att_empty"))); return; }
    fill(table, h("table", { class: "attendance", id: "host-att-table" },
      h("thead", {}, h("tr", {},
        ["att_endpoint", "att_unit", "att_final", "att_cause", "att_join", "att_leave", "att_connected", "att_drops", "att_attempts"]
          .map((k) => h("th", { class: ["att_connected", "att_drops", "att_attempts"].includes(k) ? "num" : null }, t(`host.${k}`))))),
      h("tbody", {}, att.participants.map((r) => h("tr", { "data-endpoint": r.endpoint_name, "data-state": r.final_state,
        "data-drops": r.drops, "data-attempts": r.attempts,
        title: r.intervals.map(([a, b]) => `${at(a)} – ${b ? at(b) : "…"}`).join("\n") || null },
        h("td", {}, r.endpoint_name),
        h("td", { title: r.unit_code }, r.unit_name),
        h("td", {}, badge(r.final_state, stateName(r.final_state))),
        h("td", { class: "cause" }, r.cause || ""),
        h("td", {}, at(r.first_join_at)),
        h("td", {}, at(r.last_leave_at)),
        h("td", { class: "num" }, duration(r.connected_s)),
        h("td", { class: "num" }, String(r.drops)),
        h("td", { class: "num" }, String(r.attempts)))))));
  }

  /** The server's CSV as is (UTF-8 with BOM for Excel), under the server's file name. */
  async function downloadCsv() {
    csv.disabled = true;
    try {
      const r = await api.raw(`sessions/${sessionId}/attendance`, { query: { format: "csv" } });
      const disposition = r.headers.get("Content-Disposition") || "";
      const name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1] || `attendance-${sessionId}.csv`;
      download(await r.blob(), decodeURIComponent(name));
      ctx.toast(t("host.downloaded", { name: decodeURIComponent(name) }), "ok");
    } catch (err) {
      error.textContent = problemText(err);
    } finally {
      csv.disabled = false;
    }
  }

  refresh();
  return () => clearInterval(timer);
}
