/**
 * What went wrong with a device, in the console's language. The controller sends a failure
 * as a stable code with params beside its English text: a job item's `error_code` and
 * `error_params`, or an alarm's / a health reason's `params.error` and `params.cause`
 * (controller/health/catalogue.py says what they hold). The words are here, Vietnamese first.
 * A code this console does not know (a newer controller) gives null: the caller shows the
 * English text rather than nothing.
 */
import { register, t } from "./i18n.js";

register({
  vi: {
    "failure.unreachable": "Không kết nối được tới thiết bị",
    "failure.address_refused": "Địa chỉ thiết bị nằm ngoài các mạng được phép kết nối",
    "failure.connection_lost": "Kết nối tới thiết bị bị ngắt giữa chừng",
    "failure.timeout": "Thiết bị không trả lời trong thời gian cho phép",
    "failure.timeout.detail": "Không thấy phiên bản {wanted} sau {timeout_s} giây",
    "failure.auth_failed": "Thiết bị từ chối tên đăng nhập hoặc mật khẩu đã lưu",
    "failure.hostkey_mismatch": "Khóa SSH của thiết bị đã thay đổi, cần duyệt lại khóa",
    "failure.hostkey_unpinned": "Chưa duyệt khóa SSH của thiết bị",
    "failure.command_failed": "Thiết bị từ chối lệnh",
    "failure.command_failed.detail": "Thiết bị từ chối lệnh, thiết bị báo: «{device_message}»",
    "failure.bad_reply": "Thiết bị trả lời không đúng định dạng",
    "failure.unsafe_value": "Giá trị có ký tự không thể gửi an toàn tới thiết bị",
    "failure.profile_error": "Tệp mô tả dòng máy không hợp lệ",
    "failure.endpoint_error": "Lỗi khi làm việc với thiết bị",
    "failure.backoff": "Chưa thử lại thiết bị vì lần kết nối trước vừa lỗi",
    "failure.unsupported_setting": "Camera không nhận giá trị theo cấu hình chuẩn",
    "failure.unsupported_setting.detail": "Camera không nhận giá trị của {field}; camera cho phép: {allowed}",
    "failure.not_supported": "Camera không hỗ trợ thao tác này",
    "failure.device_fault": "Camera báo lỗi khi thực hiện",
    "failure.not_found": "Camera không có luồng ở đường dẫn đã đăng ký",
    "failure.onvif_error": "Lỗi khi làm việc với camera qua ONVIF",
    "failure.no_stream": "Không mở được luồng hình",
    "failure.verify_failed": "Đọc lại sau khi ghi không khớp cấu hình chuẩn",
    "failure.upgrade_failed": "Nâng cấp phần mềm không thành công",
    "failure.upgrade_failed.detail": "Thiết bị đã khởi động lại nhưng vẫn chạy {version} (cần {wanted})",

    "cause.connection_refused": "thiết bị từ chối kết nối (cổng không mở)",
    "cause.connection_reset": "kết nối bị ngắt ngang",
    "cause.host_unreachable": "không có đường mạng tới thiết bị",
    "cause.network_unreachable": "không có đường tới mạng của thiết bị",
    "cause.name_unresolved": "không phân giải được tên miền của thiết bị",
    "cause.ssh_handshake": "bắt tay SSH không thành công",
    "cause.no_host_key": "thiết bị không gửi khóa SSH",
    "cause.pool_closed": "bộ điều khiển đang dừng",
    "cause.connection_failed": "kết nối không thành công",

    "failure.keys.refused": "từ chối ghi: {keys}",
    "failure.keys.unreadable": "không đọc được: {keys}",
    "failure.keys.wrong": "đọc lại sai: {keys}",
    "failure.keys.keys": "mục cần kiểm tra: {keys}",
  },
  en: {
    "failure.unreachable": "Cannot connect to the device",
    "failure.address_refused": "The device's address is outside the networks the controller may reach",
    "failure.connection_lost": "The connection to the device dropped",
    "failure.timeout": "The device did not answer in time",
    "failure.timeout.detail": "Version {wanted} not seen within {timeout_s} s",
    "failure.auth_failed": "The device rejects the stored username or password",
    "failure.hostkey_mismatch": "The device's SSH key changed: approve it again",
    "failure.hostkey_unpinned": "The device's SSH key is not approved yet",
    "failure.command_failed": "The device refused the command",
    "failure.command_failed.detail": "The device refused the command, saying: «{device_message}»",
    "failure.bad_reply": "The device's answer is not in the expected form",
    "failure.unsafe_value": "A value holds characters that cannot be sent safely",
    "failure.profile_error": "The model's profile file is invalid",
    "failure.endpoint_error": "Error while working with the device",
    "failure.backoff": "Not tried again yet: the last attempt failed",
    "failure.unsupported_setting": "The camera refuses a value of the standard",
    "failure.unsupported_setting.detail": "The camera refuses the value of {field}; it allows: {allowed}",
    "failure.not_supported": "The camera does not support this operation",
    "failure.device_fault": "The camera reported a fault",
    "failure.not_found": "The camera has no stream at the registered path",
    "failure.onvif_error": "Error while working with the camera over ONVIF",
    "failure.no_stream": "The stream cannot be opened",
    "failure.verify_failed": "Reading back after writing does not match the standard",
    "failure.upgrade_failed": "The firmware upgrade did not succeed",
    "failure.upgrade_failed.detail": "The device rebooted but still runs {version} ({wanted} wanted)",

    "cause.connection_refused": "connection refused (the port is closed)",
    "cause.connection_reset": "connection reset",
    "cause.host_unreachable": "no route to the device",
    "cause.network_unreachable": "no route to the device's network",
    "cause.name_unresolved": "the device's host name does not resolve",
    "cause.ssh_handshake": "the SSH handshake failed",
    "cause.no_host_key": "the device presented no SSH key",
    "cause.pool_closed": "the controller is stopping",
    "cause.connection_failed": "the connection failed",

    "failure.keys.refused": "refused: {keys}",
    "failure.keys.unreadable": "cannot read: {keys}",
    "failure.keys.wrong": "reads back wrong: {keys}",
    "failure.keys.keys": "to check: {keys}",
  },
});

const KEY_LISTS = ["refused", "unreadable", "wrong", "keys"];

/** The text of `key` filled with `params`; null when the key is unknown or a slot stays empty. */
export function filled(key, params = {}) {
  const flat = Object.fromEntries(Object.entries(params || {})
    .filter(([, v]) => v !== null && v !== undefined && v !== "")
    .map(([k, v]) => [k, Array.isArray(v) ? v.join(", ") : v]));
  const text = t(key, flat);
  return text === key || /\{\w+\}/.test(text) ? null : text;
}

/** A connect failure's cause in words (`params.cause`), or null. */
export function causeText(params) {
  return params?.cause ? filled(`cause.${params.cause}`) : null;
}

/** A failure in words: its code's sentence (the detailed one when its params are there),
 * the cause, the keys it concerns; null for a code this console does not know. */
export function failureText(code, params = {}) {
  if (!code) return null;
  const base = filled(`failure.${code}.detail`, params) ?? filled(`failure.${code}`, params);
  if (base === null) return null;
  // a wait after a failure says which failure (its code is a param)
  const earlier = params?.last_code && params.last_code !== code ? failureText(params.last_code) : null;
  const extra = [earlier && earlier[0].toLowerCase() + earlier.slice(1), causeText(params),
    ...KEY_LISTS.map((k) => (params?.[k]?.length ? filled(`failure.keys.${k}`, { keys: params[k] }) : null))];
  const more = extra.filter(Boolean);
  return more.length ? `${base}: ${more.join("; ")}` : base;
}
