/**
 * Why an endpoint is not ready for a meeting, and what to do about it, in the console's
 * language. The controller sends each reason as a code with params (controller/health/
 * catalogue.py READINESS): `readiness.<code>` is its name in a list, `says.r.<code>` the
 * sentence with its figures, `fix.r.<code>` what the unit's technician does.
 * tests/controller/test_readiness_words.py fails when a code has no words here.
 */
import { register, t } from "./i18n.js";
import { failureText, filled } from "./failure-text.js";

register({
  vi: {
    "readiness.unreachable": "Không kết nối được",
    "readiness.auth_failed": "Sai tài khoản",
    "readiness.hostkey_mismatch": "Khóa SSH thay đổi",
    "readiness.hostkey_unpinned": "Chưa duyệt khóa SSH",
    "readiness.check_failed": "Không trả lời kiểm tra",
    "readiness.sip_unregistered": "Chưa đăng ký SIP",
    "readiness.camera_disconnected": "Mất camera",
    "readiness.microphone_disconnected": "Mất micrô",
    "readiness.firmware_below_minimum": "Phần mềm quá cũ",
    "readiness.firmware_below_target": "Phần mềm chưa cập nhật",
    "readiness.clock_skew": "Lệch đồng hồ",
    "readiness.ntp_not_synced": "Chưa đồng bộ NTP",
    "readiness.clock_unknown": "Không đọc được đồng hồ",
    "readiness.in_other_call": "Đang trong cuộc gọi khác",
    "readiness.in_session": "Đang trong phiên họp khác",
    "readiness.no_test_number": "Cầu chưa có số phòng thử",
    "readiness.no_free_port": "Cầu hết cổng trống",
    "readiness.test_call_failed": "Gọi thử thất bại",
    "readiness.test_call_timeout": "Gọi thử không kết nối",
    "readiness.test_call_dropped": "Gọi thử bị rớt",
    "readiness.packet_loss_high": "Mất gói cao",
    "readiness.jitter_high": "Độ trễ biến thiên cao",
    "readiness.no_media": "Không nhận được hình/tiếng",
    "readiness.media_not_measured": "Không đo được chất lượng",
    "readiness.hangup_unconfirmed": "Chưa xác nhận gác máy",
    "readiness.interrupted": "Kiểm tra bị gián đoạn",

    "says.r.unreachable": "Không mở được phiên SSH tới điểm cầu",
    "says.r.auth_failed": "Điểm cầu từ chối tài khoản đã lưu",
    "says.r.hostkey_mismatch": "Khóa SSH của điểm cầu đã thay đổi: đã từ chối kết nối",
    "says.r.hostkey_unpinned": "Chưa có khóa SSH nào được duyệt cho điểm cầu",
    "says.r.check_failed": "Điểm cầu không trả lời một bước kiểm tra",
    "says.r.sip_unregistered": "Điểm cầu chưa đăng ký SIP với tổng đài",
    "says.r.camera_disconnected": "Camera của điểm cầu bị ngắt kết nối",
    "says.r.microphone_disconnected": "Micrô của điểm cầu bị ngắt kết nối",
    "says.r.firmware_below_minimum": "Phần mềm {version} thấp hơn mức tối thiểu {minimum}",
    "says.r.firmware_below_target": "Phần mềm {version} chưa lên bản chuẩn {target}",
    "says.r.clock_skew": "Đồng hồ lệch {skew_s} giây (cho phép {limit_s} giây)",
    "says.r.ntp_not_synced": "Đồng hồ chưa được đồng bộ qua NTP",
    "says.r.clock_unknown": "Dòng máy này không cho đọc đồng hồ",
    "says.r.in_other_call": "Đang trong cuộc gọi khác ({remote}): chưa gọi thử",
    "says.r.in_session": "Đang trong phiên họp “{session}”: chưa gọi thử",
    "says.r.no_test_number": "Cầu hội nghị chưa khai báo số phòng thử: chưa gọi thử",
    "says.r.no_free_port": "Cầu hội nghị không còn cổng trống để gọi thử ({in_use}/{ports} cổng đang dùng)",
    "says.r.test_call_failed": "Gọi thử tới cầu thất bại",
    "says.r.test_call_timeout": "Gọi thử không kết nối được trong {seconds} giây",
    "says.r.test_call_dropped": "Cuộc gọi thử bị rớt sau {after_s} giây",
    "says.r.packet_loss_high": "Mất gói {loss_pct} % trong cuộc gọi thử (cho phép {limit_pct} %)",
    "says.r.jitter_high": "Độ trễ biến thiên {jitter_ms} ms trong cuộc gọi thử (cho phép {limit_ms} ms)",
    "says.r.no_media": "Cuộc gọi thử đã kết nối nhưng không nhận được hình và tiếng",
    "says.r.media_not_measured": "Dòng máy này không cho đọc thống kê cuộc gọi",
    "says.r.hangup_unconfirmed": "Chưa xác nhận được điểm cầu đã gác máy sau cuộc gọi thử",
    "says.r.interrupted": "Kiểm tra bị gián đoạn (bộ điều khiển dừng giữa chừng)",

    "fix.r.unreachable": "Kiểm tra nguồn điện, cáp mạng và đường truyền của đơn vị",
    "fix.r.auth_failed": "Cập nhật mật khẩu của điểm cầu trong danh mục",
    "fix.r.hostkey_mismatch": "Xác minh thiết bị tại chỗ trước khi duyệt khóa mới",
    "fix.r.hostkey_unpinned": "Kiểm tra điểm cầu rồi duyệt khóa SSH trên trang chi tiết",
    "fix.r.check_failed": "Khởi động lại điểm cầu rồi kiểm tra lại",
    "fix.r.sip_unregistered": "Kiểm tra cấu hình SIP (proxy, tài khoản) và kết nối tới tổng đài",
    "fix.r.camera_disconnected": "Cắm lại cáp camera, kiểm tra nguồn camera",
    "fix.r.microphone_disconnected": "Cắm lại micrô, thay pin micrô không dây",
    "fix.r.firmware_below_minimum": "Nâng cấp phần mềm trước phiên họp",
    "fix.r.firmware_below_target": "Lên lịch nâng cấp phần mềm ngoài giờ họp",
    "fix.r.clock_skew": "Bật NTP và kiểm tra máy chủ thời gian của điểm cầu",
    "fix.r.ntp_not_synced": "Kiểm tra máy chủ NTP đã cấu hình",
    "fix.r.clock_unknown": "Không cần làm gì",
    "fix.r.in_other_call": "Kết thúc cuộc gọi khác trước giờ họp",
    "fix.r.in_session": "Kiểm tra lại sau khi phiên họp kia kết thúc",
    "fix.r.no_test_number": "Quản trị khai báo số phòng thử cho cầu hội nghị",
    "fix.r.no_free_port": "Kiểm tra lại khi cầu có cổng trống",
    "fix.r.test_call_failed": "Kiểm tra đăng ký SIP và đường truyền rồi kiểm tra lại",
    "fix.r.test_call_timeout": "Kiểm tra đường truyền tới cầu, tường lửa và NAT",
    "fix.r.test_call_dropped": "Kiểm tra độ ổn định của đường truyền",
    "fix.r.packet_loss_high": "Kiểm tra đường truyền, giảm tải mạng trong giờ họp",
    "fix.r.jitter_high": "Kiểm tra đường truyền và ưu tiên lưu lượng hội nghị (QoS)",
    "fix.r.no_media": "Kiểm tra tường lửa/NAT cho luồng hình và tiếng",
    "fix.r.media_not_measured": "Theo dõi chất lượng khi vào họp",
    "fix.r.hangup_unconfirmed": "Kiểm tra điểm cầu đã gác máy, khởi động lại nếu cần",
    "fix.r.interrupted": "Kiểm tra lại",
  },
  en: {
    "readiness.unreachable": "Unreachable",
    "readiness.auth_failed": "Wrong credentials",
    "readiness.hostkey_mismatch": "SSH key changed",
    "readiness.hostkey_unpinned": "SSH key not approved",
    "readiness.check_failed": "Check not answered",
    "readiness.sip_unregistered": "SIP not registered",
    "readiness.camera_disconnected": "No camera",
    "readiness.microphone_disconnected": "No microphone",
    "readiness.firmware_below_minimum": "Firmware too old",
    "readiness.firmware_below_target": "Firmware not current",
    "readiness.clock_skew": "Clock off",
    "readiness.ntp_not_synced": "NTP not synced",
    "readiness.clock_unknown": "Clock not readable",
    "readiness.in_other_call": "In another call",
    "readiness.in_session": "In another session",
    "readiness.no_test_number": "No bridge test number",
    "readiness.no_free_port": "No free bridge port",
    "readiness.test_call_failed": "Test call failed",
    "readiness.test_call_timeout": "Test call not connected",
    "readiness.test_call_dropped": "Test call dropped",
    "readiness.packet_loss_high": "High packet loss",
    "readiness.jitter_high": "High jitter",
    "readiness.no_media": "No media received",
    "readiness.media_not_measured": "Quality not measured",
    "readiness.hangup_unconfirmed": "Hang-up not confirmed",
    "readiness.interrupted": "Check interrupted",

    "says.r.unreachable": "No SSH session to the endpoint",
    "says.r.auth_failed": "The endpoint rejects the stored credentials",
    "says.r.hostkey_mismatch": "The endpoint's SSH key changed: connection refused",
    "says.r.hostkey_unpinned": "No SSH key approved for the endpoint",
    "says.r.check_failed": "The endpoint did not answer a check",
    "says.r.sip_unregistered": "The endpoint is not registered with the SIP server",
    "says.r.camera_disconnected": "The endpoint's camera is disconnected",
    "says.r.microphone_disconnected": "The endpoint's microphone is disconnected",
    "says.r.firmware_below_minimum": "Firmware {version} is below the minimum {minimum}",
    "says.r.firmware_below_target": "Firmware {version} is below the target {target}",
    "says.r.clock_skew": "Clock {skew_s} s off (limit {limit_s} s)",
    "says.r.ntp_not_synced": "The clock is not synchronised by NTP",
    "says.r.clock_unknown": "This model does not report its clock",
    "says.r.in_other_call": "In another call ({remote}): no test call made",
    "says.r.in_session": "In the session “{session}”: no test call made",
    "says.r.no_test_number": "The bridge has no test conference number: no test call made",
    "says.r.no_free_port": "No free bridge port for a test call ({in_use} of {ports} in use)",
    "says.r.test_call_failed": "The test call to the bridge failed",
    "says.r.test_call_timeout": "The test call did not connect within {seconds} s",
    "says.r.test_call_dropped": "The test call dropped after {after_s} s",
    "says.r.packet_loss_high": "Packet loss {loss_pct} % on the test call (limit {limit_pct} %)",
    "says.r.jitter_high": "Jitter {jitter_ms} ms on the test call (limit {limit_ms} ms)",
    "says.r.no_media": "The test call connected but no picture or sound arrived",
    "says.r.media_not_measured": "This model does not report call statistics",
    "says.r.hangup_unconfirmed": "The endpoint's hang-up after the test call was not confirmed",
    "says.r.interrupted": "The check was interrupted (the controller stopped)",

    "fix.r.unreachable": "Check the power, the network cable and the unit's link",
    "fix.r.auth_failed": "Update the endpoint's password in the registry",
    "fix.r.hostkey_mismatch": "Verify the device on site before approving the new key",
    "fix.r.hostkey_unpinned": "Probe the endpoint, then approve its SSH key on its page",
    "fix.r.check_failed": "Restart the endpoint, then check again",
    "fix.r.sip_unregistered": "Check the SIP settings (proxy, account) and the path to the call server",
    "fix.r.camera_disconnected": "Reconnect the camera cable, check the camera's power",
    "fix.r.microphone_disconnected": "Reconnect the microphone, replace wireless microphone batteries",
    "fix.r.firmware_below_minimum": "Upgrade the firmware before the session",
    "fix.r.firmware_below_target": "Schedule an upgrade outside meeting hours",
    "fix.r.clock_skew": "Turn NTP on and check the endpoint's time server",
    "fix.r.ntp_not_synced": "Check the configured NTP server",
    "fix.r.clock_unknown": "Nothing to do",
    "fix.r.in_other_call": "End the other call before the session",
    "fix.r.in_session": "Check again once that session is over",
    "fix.r.no_test_number": "An administrator sets the bridge's test conference number",
    "fix.r.no_free_port": "Check again when the bridge has free ports",
    "fix.r.test_call_failed": "Check SIP registration and the link, then check again",
    "fix.r.test_call_timeout": "Check the path to the bridge, firewall and NAT",
    "fix.r.test_call_dropped": "Check the link's stability",
    "fix.r.packet_loss_high": "Check the link; keep other traffic off it during meetings",
    "fix.r.jitter_high": "Check the link and prioritise conference traffic (QoS)",
    "fix.r.no_media": "Check firewall/NAT for the media streams",
    "fix.r.media_not_measured": "Watch the quality when the session starts",
    "fix.r.hangup_unconfirmed": "Check the endpoint hung up; restart it if needed",
    "fix.r.interrupted": "Check again",
  },
});

/** A reason's short name (for lists and the alarm); the code itself when unknown. */
export function reasonName(code) {
  const name = t(`readiness.${code}`);
  return name === `readiness.${code}` ? code : name;
}

/** A reason's sentence with its figures (and the device's failure, when one is given). */
export function reasonSentence({ code, params = {} }) {
  const base = filled(`says.r.${code}`, params) ?? reasonName(code);
  if (params.error && !["unreachable", "auth_failed", "hostkey_mismatch", "hostkey_unpinned"].includes(code)) {
    const failure = failureText(params.error, params);
    if (failure) return `${base}: ${failure[0].toLowerCase()}${failure.slice(1)}`;
  }
  return base;
}

/** What to do about a reason; "" when the console has no advice for it. */
export function reasonFix(code) {
  const text = t(`fix.r.${code}`);
  return text === `fix.r.${code}` ? "" : text;
}
