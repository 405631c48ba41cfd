/**
 * An alarm's message and a health reason, in the console's language. The controller sends
 * each with a stable code and params beside its English text (controller/health/catalogue.py):
 * an alarm's `code` is its kind, a reason's code is the state it explains; `params` say which
 * failure (`error`, `cause`: lib/failure-text.js), which problems, which unit. The sentences
 * are here, Vietnamese first; a code this console does not know shows the English text.
 * tests/controller/test_health_catalogue.py fails when an alarm kind has no sentence here.
 */
import { register } from "./i18n.js";
import { causeText, failureText, filled } from "./failure-text.js";
import { reasonName } from "./readiness-text.js";
import { problemName } from "./vocabulary.js";

register({
  vi: {
    "says.hostkey_mismatch": "Khóa SSH của điểm cầu đã thay đổi: có thể thiết bị bị tráo hoặc bị giả mạo; đã từ chối kết nối",
    "says.hostkey_unpinned": "Chưa duyệt khóa SSH nào (chính sách nghiêm ngặt): kiểm tra điểm cầu rồi duyệt khóa",
    "says.uplink": "Cả {total} điểm cầu thuộc {unit} đều không truy cập được: kiểm tra đường truyền của đơn vị",
    "says.unreachable": "Không có kết nối TCP tới điểm cầu",
    "says.offline": "Điểm cầu có mở cổng nhưng giao diện điều khiển không trả lời",
    "says.auth_failed": "Điểm cầu từ chối tài khoản đã lưu",
    "says.degraded": "Chất lượng suy giảm",
    "says.flapping": "Điểm cầu liên tục mất kết nối rồi có lại",
    "says.not_ready": "Chưa sẵn sàng cho phiên họp sắp tới",
    "says.camera_offline": "Không mở được luồng RTSP của camera",
    "says.camera_auth_failed": "Camera từ chối tên đăng nhập hoặc mật khẩu đã lưu: sửa lại trong danh mục camera",
    "says.camera_stalled": "Luồng camera mở được nhưng không có hình",
    "says.camera_flapping": "Camera liên tục mất kết nối rồi có lại",
    "says.camera_degraded": "Hình ảnh camera có vấn đề",
    "says.camera_black": "Hình đen: ống kính bị che hoặc thiếu sáng",
    "says.camera_frozen": "Hình bị đóng băng",
    "says.camera_blurred": "Hình bị mờ (lệch tiêu cự hoặc ống kính bẩn)",
    "says.camera_moved": "Khung cảnh thay đổi: camera bị xoay sang hướng khác",
    "says.camera_low_fps": "Tốc độ khung hình quá thấp",
    "says.camera_rare_keyframes": "Khung hình chính (keyframe) quá thưa",
    "says.camera_stream_unplayable": "Trình duyệt không phát được luồng này (không phải H.264, hoặc H.264 có B-frame): đặt luồng phụ của camera về H.264 không có B-frame",

    "degraded.camera_disconnected": "mất kết nối camera",
    "degraded.microphone_disconnected": "mất kết nối micrô",
    "degraded.sip_unregistered": "chưa đăng ký SIP",
    "degraded.temperature_high": "nhiệt độ trên {temperature_c} °C",
    "degraded.packet_loss_high": "mất gói trên {loss_pct} %",
  },
  en: {
    "says.hostkey_mismatch": "SSH host key changed: possible device swap or spoofing; connection refused",
    "says.hostkey_unpinned": "No SSH host key approved (strict policy): probe the endpoint and approve its key",
    "says.uplink": "All {total} endpoints under {unit} are unreachable: check the unit's uplink",
    "says.unreachable": "No TCP connection to the endpoint",
    "says.offline": "The endpoint's port answers but its control API does not",
    "says.auth_failed": "The endpoint rejects the stored credentials",
    "says.degraded": "Degraded",
    "says.flapping": "The endpoint keeps going down and up",
    "says.not_ready": "Not ready for the coming session",
    "says.camera_offline": "The camera's RTSP stream cannot be opened",
    "says.camera_auth_failed": "The camera refuses the stored username or password: correct them in the registry",
    "says.camera_stalled": "The camera's stream opens but sends no picture",
    "says.camera_flapping": "The camera keeps going down and up",
    "says.camera_degraded": "Picture problems",
    "says.camera_black": "Picture black: lens covered or no light",
    "says.camera_frozen": "Picture frozen",
    "says.camera_blurred": "Picture blurred (out of focus or dirty lens)",
    "says.camera_moved": "Scene changed: camera turned away",
    "says.camera_low_fps": "Frame rate too low",
    "says.camera_rare_keyframes": "Keyframes too rare",
    "says.camera_stream_unplayable": "Browsers cannot play this stream (not H.264, or H.264 with B-frames): set the camera's sub-stream to H.264 without B-frames",

    "degraded.camera_disconnected": "camera disconnected",
    "degraded.microphone_disconnected": "microphone disconnected",
    "degraded.sip_unregistered": "SIP not registered",
    "degraded.temperature_high": "temperature above {temperature_c} °C",
    "degraded.packet_loss_high": "packet loss above {loss_pct} %",
  },
});

/** A problem code in words: an endpoint's (with its limit) or a camera's picture problem. */
function problemText(code, params) {
  return filled(`degraded.${code}`, params) ?? problemName(code);
}

/** The sentence of `code` with what its params add; null for a code this console does not know. */
function sentence(code, params = {}) {
  const base = filled(`says.${code}`, params);
  if (base === null) return null;
  const more = [];
  if (Array.isArray(params.problems) && params.problems.length) more.push(params.problems.map((p) => problemText(p, params)).join(", "));
  if (Array.isArray(params.reasons) && params.reasons.length) more.push(params.reasons.map(reasonName).join(", "));
  // the failure, unless it only repeats the sentence (an unreachable endpoint that did not connect)
  const cause = causeText(params);
  if (cause) more.push(cause);
  else if (params.error && params.error !== code.replace(/^camera_/, "")) {
    const failure = failureText(params.error, params);
    if (failure) more.push(failure[0].toLowerCase() + failure.slice(1));
  }
  return more.length ? `${base}: ${more.join("; ")}` : base;
}

/** An alarm's message in words (from `code` and `params`), else its English `message`. */
export function alarmText(alarm) {
  return (alarm?.code ? sentence(alarm.code, alarm.params || {}) : null) ?? alarm?.message ?? "";
}

/** A health reason in words: `entity` is "endpoint" or "camera"; the reason's code is its state.
 * No reason: "". A state or params this console does not know: the English `reason`. */
export function reasonText(entity, { state, reason, reason_params: params } = {}) {
  if (!reason) return "";
  const code = entity === "camera" ? `camera_${state}` : state;
  return sentence(code, params || {}) ?? reason;
}
