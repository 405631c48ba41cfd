/**
 * The words every view shares for what the controller reports: alarm severities,
 * alarm kinds and camera problems, Vietnamese first, English second. Registered
 * once here, so the IOC wall, the details pages and the alarm lists name a thing
 * alike. The codes come from controller/health/catalogue.py; a test
 * (tests/controller/test_health_catalogue.py) fails when one has no words here.
 * States (online, in_call, ...) are in lib/i18n.js, which every view loads.
 */
import { register, t } from "./i18n.js";

/** Most urgent first (the alarm filter's order). */
export const SEVERITIES = ["critical", "major", "minor", "warning"];

register({
  vi: {
    "severity.critical": "Nghiêm trọng",
    "severity.major": "Cao",
    "severity.minor": "Thấp",
    "severity.warning": "Lưu ý",

    "alarm.camera_stream_unplayable": "Luồng camera trình duyệt không phát được",
    "alarm.hostkey_mismatch": "Khóa SSH thay đổi",
    "alarm.hostkey_unpinned": "Chưa duyệt khóa SSH",
    "alarm.uplink": "Mất đường truyền cả đơn vị",
    "alarm.unreachable": "Không truy cập được",
    "alarm.offline": "Thiết bị không phản hồi",
    "alarm.auth_failed": "Sai mật khẩu thiết bị",
    "alarm.degraded": "Chất lượng suy giảm",
    "alarm.flapping": "Chập chờn",
    "alarm.not_ready": "Chưa sẵn sàng họp",
    "alarm.camera_offline": "Camera mất kết nối",
    "alarm.camera_auth_failed": "Camera từ chối tài khoản",
    "alarm.camera_stalled": "Camera không có hình",
    "alarm.camera_black": "Hình đen",
    "alarm.camera_frozen": "Hình bị đóng băng",
    "alarm.camera_moved": "Camera bị xoay hướng",
    "alarm.camera_blurred": "Hình bị mờ",
    "alarm.camera_low_fps": "Tốc độ khung hình thấp",
    "alarm.camera_rare_keyframes": "Khung hình chính quá thưa",
    "alarm.camera_flapping": "Camera chập chờn",

    "problem.stream_unplayable": "Trình duyệt không phát được",
    "problem.black": "Hình đen",
    "problem.frozen": "Đóng băng",
    "problem.blurred": "Mờ",
    "problem.moved": "Lệch hướng",
    "problem.low_fps": "FPS thấp",
    "problem.rare_keyframes": "Ít keyframe",
  },
  en: {
    "severity.critical": "Critical",
    "severity.major": "Major",
    "severity.minor": "Minor",
    "severity.warning": "Warning",

    "alarm.camera_stream_unplayable": "Camera stream browsers cannot play",
    "alarm.hostkey_mismatch": "SSH host key changed",
    "alarm.hostkey_unpinned": "SSH key not approved",
    "alarm.uplink": "Whole unit unreachable",
    "alarm.unreachable": "Unreachable",
    "alarm.offline": "Device not answering",
    "alarm.auth_failed": "Device password rejected",
    "alarm.degraded": "Degraded",
    "alarm.flapping": "Flapping",
    "alarm.not_ready": "Not ready for a session",
    "alarm.camera_offline": "Camera offline",
    "alarm.camera_auth_failed": "Camera refuses the credentials",
    "alarm.camera_stalled": "Camera sends no picture",
    "alarm.camera_black": "Black picture",
    "alarm.camera_frozen": "Frozen picture",
    "alarm.camera_moved": "Camera turned away",
    "alarm.camera_blurred": "Blurred picture",
    "alarm.camera_low_fps": "Frame rate too low",
    "alarm.camera_rare_keyframes": "Keyframes too rare",
    "alarm.camera_flapping": "Camera flapping",

    "problem.stream_unplayable": "Unplayable in browsers",
    "problem.black": "Black",
    "problem.frozen": "Frozen",
    "problem.blurred": "Blurred",
    "problem.moved": "Moved",
    "problem.low_fps": "Low FPS",
    "problem.rare_keyframes": "Rare keyframes",
  },
});

/** A code's words, or the code itself when this console is older than the controller. */
function named(prefix, code) {
  const key = `${prefix}.${code}`;
  const text = t(key);
  return text === key ? code : text;
}

export const severityName = (severity) => named("severity", severity);
export const alarmName = (kind) => named("alarm", kind);
export const problemName = (problem) => named("problem", problem);
