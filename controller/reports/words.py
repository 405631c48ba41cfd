"""The Vietnamese words the server writes for people: the reports (participant states,
causes, readiness verdicts, reasons and acknowledgements) and the alert messages (alarm
kinds and severities).

The reasons and causes are copies of the console's words (``web/lib/readiness-text.js``
``readiness.<code>``, ``web/views/host-i18n.js`` ``host.cause.<code>``, ``web/lib/vocabulary.js``
``alarm.<kind>`` and ``severity.<level>``), so a clerk reads the
same name in a downloaded file as on the board; ``tests/controller/test_reports.py`` fails
when a copy and its source differ or a code has no words here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from controller.sessions.attendance import LOCAL
from controller.sessions.schemas import ReadinessMark

__all__ = [
    "ACK_VI",
    "ALARM_VI",
    "CAUSES_VI",
    "READINESS_VI",
    "SEVERITY_VI",
    "STATES_VI",
    "VERDICT_VI",
    "cause_text",
    "mark_text",
    "reason_names",
]

# readiness.<code> of web/lib/readiness-text.js (vi): a reason's short name
READINESS_VI: dict[str, str] = {
    "unreachable": "Không kết nối được",
    "auth_failed": "Sai tài khoản",
    "hostkey_mismatch": "Khóa SSH thay đổi",
    "hostkey_unpinned": "Chưa duyệt khóa SSH",
    "check_failed": "Không trả lời kiểm tra",
    "sip_unregistered": "Chưa đăng ký SIP",
    "camera_disconnected": "Mất camera",
    "microphone_disconnected": "Mất micrô",
    "firmware_below_minimum": "Phần mềm quá cũ",
    "firmware_below_target": "Phần mềm chưa cập nhật",
    "clock_skew": "Lệch đồng hồ",
    "ntp_not_synced": "Chưa đồng bộ NTP",
    "clock_unknown": "Không đọc được đồng hồ",
    "in_other_call": "Đang trong cuộc gọi khác",
    "in_session": "Đang trong phiên họp khác",
    "no_test_number": "Cầu chưa có số phòng thử",
    "no_free_port": "Cầu hết cổng trống",
    "test_call_failed": "Gọi thử thất bại",
    "test_call_timeout": "Gọi thử không kết nối",
    "test_call_dropped": "Gọi thử bị rớt",
    "packet_loss_high": "Mất gói cao",
    "jitter_high": "Độ trễ biến thiên cao",
    "no_media": "Không nhận được hình/tiếng",
    "media_not_measured": "Không đo được chất lượng",
    "hangup_unconfirmed": "Chưa xác nhận gác máy",
    "interrupted": "Kiểm tra bị gián đoạn",
}

# host.cause.<code> of web/views/host-i18n.js (vi); {failure} is worded by the console from
# the device's failure, so here such a cause falls back to the words before it
CAUSES_VI: dict[str, str] = {
    "in_session": "Đang trong phiên họp khác: {session}",
    "endpoint_down": "Điểm cầu đang ở trạng thái {state}",
    "host_key_pending": "Điểm cầu có khóa SSH mới đang chờ duyệt",
    "bridge_full": "MCU {bridge} đã hết cổng ({ports} cổng đang dùng)",
    "busy_other_call": "Máy bận: đang trong cuộc gọi khác ({remote})",
    "previous_call_ending": "Cuộc gọi trước vẫn đang kết thúc",
    "setup_timeout": "Không kết nối được trong {seconds} giây",
    "ended_during_setup": "Cuộc gọi kết thúc khi đang thiết lập",
    "in_other_call": "Đang trong cuộc gọi khác ({remote})",
    "call_ended": "Cuộc gọi đã kết thúc",
    "device_ended": "Thiết bị báo: «{device_cause}»",
    "device_error": "{failure}",
    "hangup_unconfirmed": "Chưa xác nhận được đã gác máy: {failure}",
    "still_in_call": "Vẫn trong cuộc gọi {seconds} giây sau khi gác máy",
}
REMOTE_UNKNOWN = "không rõ đầu bên kia"  # host.remote_unknown

# a participant's state (sessions/schemas.py ParticipantState) as the minutes say it
STATES_VI: dict[str, str] = {
    "waiting": "Đang chờ",
    "unavailable": "Không sẵn sàng",
    "dialling": "Đang gọi",
    "ringing": "Đang đổ chuông",
    "connected": "Đang họp",
    "dropped": "Rớt",
    "redialling": "Đang gọi lại",
    "failed": "Không vào được",
    "left": "Đã rời",
    "removed": "Bị mời ra",
}
VERDICT_VI: dict[str | None, str] = {
    "ready": "Sẵn sàng",
    "not_ready": "Chưa sẵn sàng",
    None: "Chưa có kết quả",
}
ACK_VI: dict[str, str] = {"on_my_way": "Đang đến", "fixed": "Đã khắc phục"}

# alarm.<kind> of web/lib/vocabulary.js (vi): an alarm kind's name
ALARM_VI: dict[str, str] = {
    "camera_stream_unplayable": "Luồng camera trình duyệt không phát được",
    "hostkey_mismatch": "Khóa SSH thay đổi",
    "hostkey_unpinned": "Chưa duyệt khóa SSH",
    "uplink": "Mất đường truyền cả đơn vị",
    "unreachable": "Không truy cập được",
    "offline": "Thiết bị không phản hồi",
    "auth_failed": "Sai mật khẩu thiết bị",
    "degraded": "Chất lượng suy giảm",
    "flapping": "Chập chờn",
    "not_ready": "Chưa sẵn sàng họp",
    "camera_offline": "Camera mất kết nối",
    "camera_auth_failed": "Camera từ chối tài khoản",
    "camera_stalled": "Camera không có hình",
    "camera_black": "Hình đen",
    "camera_frozen": "Hình bị đóng băng",
    "camera_moved": "Camera bị xoay hướng",
    "camera_blurred": "Hình bị mờ",
    "camera_low_fps": "Tốc độ khung hình thấp",
    "camera_rare_keyframes": "Khung hình chính quá thưa",
    "camera_flapping": "Camera chập chờn",
}
# severity.<level> of web/lib/vocabulary.js (vi)
SEVERITY_VI: dict[str, str] = {
    "critical": "Nghiêm trọng",
    "major": "Cao",
    "minor": "Thấp",
    "warning": "Lưu ý",
}


def reason_names(codes: list[str]) -> str:
    """Reasons by their short names, ``; ``-joined (an unknown code as itself)."""
    return "; ".join(READINESS_VI.get(code, code) for code in codes)


def cause_text(code: str | None, params: Mapping[str, Any] | None, english: str | None) -> str:
    """A participant's cause in Vietnamese; the stored (English) text when the words need
    figures the cause does not carry, or it has no code (older rows)."""
    template = CAUSES_VI.get(code or "")
    if template is None:
        return english or ""
    shown = {k: ("" if v is None else str(v)) for k, v in (params or {}).items()}
    if "remote" in shown and not shown["remote"]:
        shown["remote"] = REMOTE_UNKNOWN
    try:
        return template.format_map(shown)
    except (KeyError, ValueError, IndexError):
        words = template.split(":", 1)[0].split("{", 1)[0].strip()
        return words or english or ""


def local_hhmm(at: datetime | None) -> str:
    return at.astimezone(LOCAL).strftime("%H:%M") if at else "--:--"


def mark_text(mark: ReadinessMark) -> str:
    """``T-60 08:00 Chưa sẵn sàng: Chưa đăng ký SIP (Đang đến: technician1)``."""
    text = f"{mark.label} {local_hhmm(mark.at)} {VERDICT_VI.get(mark.verdict, mark.verdict or '')}"
    if mark.verdict == "not_ready" and mark.reasons:
        text += f": {reason_names(mark.reasons)}"
    if mark.ack_kind:
        text += f" ({ACK_VI.get(mark.ack_kind, mark.ack_kind)}: {mark.ack_by or ''})"
    return text
