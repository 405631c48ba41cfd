/**
 * What a job and its items say, in the console's language. The controller sends a progress
 * note as `message_code` + `message_params` beside its English `message`
 * (controller/provisioning/notes.py), and a failure as `error_code` + `error_params`
 * (failure-text.js). A code this console does not know (a newer controller) falls back to
 * the English message rather than nothing.
 */
import { register, t } from "./i18n.js";
import { failureText, filled } from "./failure-text.js";

register({
  vi: {
    "note.endpoint_gone": "Điểm cầu không còn trong danh sách đăng ký",
    "note.camera_gone": "Camera không còn trong danh sách đăng ký",
    "note.no_onvif": "Camera chưa đăng ký địa chỉ ONVIF",
    "note.profile_missing": "Chưa cài tệp mô tả dòng máy {profile}",
    "note.no_upgrade": "Dòng máy này không có lệnh nâng cấp phần mềm",
    "note.in_call": "Đang trong cuộc họp: chưa động tới",
    "note.plan": "{to_set} mục cần đặt, {right} mục đã đúng",
    "note.plan.refused": "{refused} mục thiết bị từ chối đọc",
    "note.plan.unsettable": "{unsettable} mục dòng máy không đặt được",
    "note.plan.profile": "cấu hình camera {profile}, luồng {stream}",
    "note.writing": "Đang ghi cấu hình",
    "note.applied": "Đã đặt và đọc lại đúng {count} mục",
    "note.camera_applied": "Đã kiểm tra luồng: {resolution}, {fps} hình/giây, khung khóa mỗi {keyframe_s} giây, {bitrate_kbps} kbit/s",
    "note.already_at": "Đã ở phiên bản {version}",
    "note.upgrading": "Đang nâng cấp {version} → {wanted}",
    "note.upgraded": "Đã nâng cấp {before} → {version}",
    "note.host_key_held": "Thiết bị khởi động lại với khóa SSH mới; duyệt khóa để hoàn tất",
    "note.item_cancelled": "Công việc đã bị hủy",
    "note.item_interrupted": "Bị ngắt giữa chừng: các mục đã lên kế hoạch có thể đã được ghi; chạy tiếp sẽ đọc lại thiết bị trước khi ghi",
    "note.waiting_window": "Đang chờ khung giờ bảo trì {window}",
    "note.halted_canary": "Đợt thử: {failed}/{tried} thiết bị nâng cấp lỗi; chiến dịch đã dừng, không bắt đầu thêm thiết bị nào",
    "note.halted_wave": "Đợt {wave}: {failed}/{tried} thiết bị lỗi ({percent}%); chiến dịch đã dừng",
    "note.job_crashed": "Công việc dừng vì lỗi nội bộ ({error}); xem nhật ký máy chủ",
    "note.job_interrupted": "Bộ điều khiển đã dừng khi công việc đang chạy; chạy tiếp để hoàn tất",
  },
  en: {
    "note.endpoint_gone": "The endpoint is no longer registered",
    "note.camera_gone": "The camera is no longer registered",
    "note.no_onvif": "The camera has no ONVIF address registered",
    "note.profile_missing": "Model profile {profile} is not installed",
    "note.no_upgrade": "This model's profile has no upgrade command",
    "note.in_call": "In a call: not touched",
    "note.plan": "{to_set} to set, {right} already right",
    "note.plan.refused": "{refused} the device refused to read",
    "note.plan.unsettable": "{unsettable} the model cannot set",
    "note.plan.profile": "camera profile {profile}, stream {stream}",
    "note.writing": "Writing the settings",
    "note.applied": "{count} setting(s) written and read back right",
    "note.camera_applied": "Stream checked: {resolution}, {fps} fps, a keyframe every {keyframe_s} s, {bitrate_kbps} kbit/s",
    "note.already_at": "Already at version {version}",
    "note.upgrading": "Upgrading {version} → {wanted}",
    "note.upgraded": "Upgraded {before} → {version}",
    "note.host_key_held": "Came back with a new SSH key; approve it to finish",
    "note.item_cancelled": "The job was cancelled",
    "note.item_interrupted": "Interrupted mid-way: the planned writes may have been applied; resuming reads the device again before writing",
    "note.waiting_window": "Waiting for the maintenance window {window}",
    "note.halted_canary": "Canary wave: {failed} of {tried} upgrade(s) failed; the campaign stopped and started nothing more",
    "note.halted_wave": "Wave {wave}: {failed} of {tried} failed ({percent}%); the campaign stopped",
    "note.job_crashed": "The job stopped on an internal error ({error}); see the server's log",
    "note.job_interrupted": "The controller stopped while this job ran; resume it to finish",
  },
});

/** A progress note in words, or null for a code this console does not know. */
export function noteText(code, params = {}) {
  if (!code) return null;
  const base = filled(`note.${code}`, params);
  if (base === null || code !== "plan") return base;
  const extras = ["refused", "unsettable"].filter((k) => params?.[k]).map((k) => t(`note.plan.${k}`, params));
  const profile = params?.profile ? ` (${t("note.plan.profile", params)})` : "";
  return [base, ...extras].join(", ") + profile;
}

/** A job item's line: its failure in words, else its note, else the controller's text. */
export function itemText(item) {
  return failureText(item?.error_code, item?.error_params)
    ?? noteText(item?.message_code, item?.message_params)
    ?? (item?.message || "");
}

/** A job's line (waiting for a window, halted, interrupted), or "". */
export function jobText(job) {
  return noteText(job?.message_code, job?.message_params) ?? (job?.message || "");
}
