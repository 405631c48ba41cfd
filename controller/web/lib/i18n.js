/**
 * Vietnamese first, English second. Each view registers its own strings next
 * to its code; a key missing in English falls back to Vietnamese, and a key
 * missing everywhere shows as the key (easy to spot in a screenshot).
 *
 *   register({ vi: { save: "Lưu" }, en: { save: "Save" } });
 *   t("joined", { n: 3 })   // "{n} đã vào" → "3 đã vào"
 */
const dictionaries = { vi: {}, en: {} };
let lang = localStorage.getItem("diemcau.lang") || "vi";
const listeners = new Set();

export function register(strings) {
  for (const [code, table] of Object.entries(strings)) Object.assign((dictionaries[code] ||= {}), table);
}

export function t(key, vars = {}) {
  const text = dictionaries[lang]?.[key] ?? dictionaries.vi[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

export function language() {
  return lang;
}

export function setLanguage(code) {
  lang = code in dictionaries ? code : "vi";
  localStorage.setItem("diemcau.lang", lang);
  document.documentElement.lang = lang;
  for (const fn of listeners) fn(lang);
}

export function onLanguage(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** A state's name in the current language (endpoint, camera, participant, job states). */
export function stateName(state) {
  return t(`state.${state}`);
}

register({
  vi: {
    "app.login": "Đăng nhập",
    "app.logout": "Đăng xuất",
    "app.wall_key": "Màn hình giám sát: dùng khóa thiết bị",
    "app.wall_key_label": "Khóa thiết bị",
    "app.wall_key_use": "Mở màn hình",
    "app.wall_key_bad": "Khóa thiết bị không đúng hoặc đã bị thu hồi",
    "app.username": "Tên đăng nhập",
    "app.password": "Mật khẩu",
    "app.login_failed": "Sai tên đăng nhập hoặc mật khẩu",
    "app.expired": "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại",
    "app.loading": "Đang tải…",
    "app.error": "Lỗi",
    "app.live": "Trực tiếp",
    "app.reconnecting": "Đang kết nối lại…",
    "app.no_access": "Tài khoản này không có quyền xem trang này",
    "nav.ioc": "Giám sát (IOC)",
    "nav.list": "Thiết bị",
    "nav.ready": "Sẵn sàng họp",
    "nav.tech": "Kỹ thuật",
    "nav.host": "Phiên họp",
    "role.admin": "Quản trị",
    "role.technician": "Kỹ thuật viên",
    "role.host": "Chủ trì",
    "role.ioc_viewer": "Giám sát IOC",
    "role.ioc_operator": "Trực ban IOC",
    "state.online": "Trực tuyến",
    "state.degraded": "Suy giảm",
    "state.offline": "Mất kết nối",
    "state.unknown": "Chưa rõ",
    "state.unreachable": "Không truy cập được",
    "state.auth_failed": "Sai mật khẩu",
    "state.hostkey_mismatch": "Khóa SSH thay đổi",
    "state.hostkey_unpinned": "Chưa duyệt khóa SSH",
    "state.hostkey_pending": "Chờ duyệt khóa SSH",
    "state.in_call": "Đang họp",
    "state.stalled": "Đứng hình",
    "state.idle": "Rảnh",
    "state.invited": "Đã mời",
    "state.dialling": "Đang gọi",
    "state.ringing": "Đang đổ chuông",
    "state.connected": "Đã vào",
    "state.dropped": "Rớt cuộc gọi",
    "state.failed": "Thất bại",
    "state.unavailable": "Không sẵn sàng",
    "state.left": "Đã rời",
    "state.removed": "Đã loại",
    "state.ended": "Đã kết thúc",
    "state.live": "Đang diễn ra",
    "state.scheduled": "Đã lên lịch",
    "state.starting": "Đang bắt đầu",
    "state.ending": "Đang kết thúc",
    "state.pending": "Chờ",
    "state.running": "Đang chạy",
    "state.done": "Xong",
    "state.succeeded": "Thành công",
    "state.cancelled": "Đã hủy",
    "state.interrupted": "Bị gián đoạn",
    "state.deferred": "Hoãn",
    "state.skipped": "Bỏ qua",
    "state.halted": "Đã dừng",
    "state.active": "Đang báo",
    "state.cleared": "Đã hết",
    "state.waiting": "Đang chờ",
    "state.redialling": "Đang gọi lại",
    "state.planned": "Đã lập kế hoạch",
    "state.unchanged": "Không đổi",
    "state.applied": "Đã áp dụng",
    "state.upgraded": "Đã nâng cấp",
    "state.error": "Lỗi",
    "state.held": "Tạm giữ",
    "state.queued": "Trong hàng đợi",
    "state.flapping": "Chập chờn",
  },
  en: {
    "app.login": "Sign in",
    "app.logout": "Sign out",
    "app.wall_key": "Wall display: use a device key",
    "app.wall_key_label": "Device key",
    "app.wall_key_use": "Open the display",
    "app.wall_key_bad": "The device key is wrong or was revoked",
    "app.username": "Username",
    "app.password": "Password",
    "app.login_failed": "Wrong username or password",
    "app.expired": "Your session has expired, please sign in again",
    "app.loading": "Loading…",
    "app.error": "Error",
    "app.live": "Live",
    "app.reconnecting": "Reconnecting…",
    "app.no_access": "This account may not open this page",
    "nav.ioc": "Monitoring (IOC)",
    "nav.list": "Devices",
    "nav.ready": "Readiness",
    "nav.tech": "Technician",
    "nav.host": "Sessions",
    "role.admin": "Administrator",
    "role.technician": "Technician",
    "role.host": "Host",
    "role.ioc_viewer": "IOC viewer",
    "role.ioc_operator": "IOC operator",
    "state.online": "Online",
    "state.degraded": "Degraded",
    "state.offline": "Offline",
    "state.unknown": "Unknown",
    "state.unreachable": "Unreachable",
    "state.auth_failed": "Wrong password",
    "state.hostkey_mismatch": "SSH key changed",
    "state.hostkey_unpinned": "SSH key not approved",
    "state.hostkey_pending": "SSH key to approve",
    "state.in_call": "In a call",
    "state.stalled": "Stalled",
    "state.idle": "Idle",
    "state.invited": "Invited",
    "state.dialling": "Dialling",
    "state.ringing": "Ringing",
    "state.connected": "Connected",
    "state.dropped": "Dropped",
    "state.failed": "Failed",
    "state.unavailable": "Unavailable",
    "state.left": "Left",
    "state.removed": "Removed",
    "state.ended": "Ended",
    "state.live": "Live",
    "state.scheduled": "Scheduled",
    "state.starting": "Starting",
    "state.ending": "Ending",
    "state.pending": "Pending",
    "state.running": "Running",
    "state.done": "Done",
    "state.succeeded": "Succeeded",
    "state.cancelled": "Cancelled",
    "state.interrupted": "Interrupted",
    "state.deferred": "Deferred",
    "state.skipped": "Skipped",
    "state.halted": "Halted",
    "state.active": "Active",
    "state.cleared": "Cleared",
    "state.waiting": "Waiting",
    "state.redialling": "Redialling",
    "state.planned": "Planned",
    "state.unchanged": "Unchanged",
    "state.applied": "Applied",
    "state.upgraded": "Upgraded",
    "state.error": "Error",
    "state.held": "Held",
    "state.queued": "Queued",
    "state.flapping": "Flapping",
  },
});
