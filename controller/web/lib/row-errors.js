/**
 * What is wrong with a row of an imported spreadsheet, in the console's language. The
 * controller sends each row error with a stable `code` and its `params` beside an English
 * `reason`; the words are here, Vietnamese first. A code this console does not know yet
 * (a newer controller) is shown by its English reason rather than not at all.
 */
import { register, t } from "./i18n.js";

register({
  vi: {
    "row.column.missing": "Thiếu cột bắt buộc",
    "row.column.unknown": "Cột không dùng được",
    "row.column.repeated": "Cột bị lặp",
    "row.csv.unreadable": "Không đọc được tệp CSV: {detail}",
    "row.row.field_count": "Dòng có {found} ô, cần {expected} ô",
    "row.row.repeated": "Trùng với dòng {line}",
    "row.unit.unknown": "Không có đơn vị mã này",
    "row.unit.outside_scope": "Đơn vị nằm ngoài phạm vi anh/chị phụ trách",
    "row.profile.unknown": "Dòng máy không có; các dòng máy: {known}",
    "row.endpoint.name_taken": "Đơn vị đã có điểm cầu tên này",
    "row.endpoint.address_taken": "Địa chỉ và cổng này đã được đăng ký",
    "row.camera.name_taken": "Đơn vị đã có camera tên này",
    "row.camera.url_taken": "Địa chỉ luồng này đã được đăng ký",
    "row.standard.limit": "Vượt giới hạn của thiết bị theo cấu hình chuẩn: {problem}",
    "row.value.missing": "Bắt buộc phải có",
    "row.value.string_too_long": "Dài quá {max_length} ký tự",
    "row.value.string_too_short": "Ngắn hơn {min_length} ký tự",
    "row.value.string_pattern_mismatch": "Sai định dạng",
    "row.value.int_parsing": "Phải là số nguyên",
    "row.value.greater_than_equal": "Phải từ {ge} trở lên",
    "row.value.less_than_equal": "Phải không quá {le}",
    "row.value.bool_parsing": "Phải là có/không (true/false)",
    "row.value.text_hidden": "Có ký tự điều khiển hoặc ký tự ẩn ({char})",
    "row.value.host_invalid": "Phải là địa chỉ IPv4/IPv6 hoặc tên miền",
    "row.value.host_zone_invalid": "Mã vùng IPv6 (sau %) phải là tên giao diện mạng, ví dụ eth0",
    "row.value.host_key_format": "Phải là một dòng khóa công khai OpenSSH ({types} <base64>)",
    "row.value.host_key_base64": "Phần base64 của khóa không hợp lệ",
    "row.value.host_key_type": "Loại khóa không khớp với nội dung base64",
    "row.value.sip_uri_invalid": "Phải là địa chỉ SIP (sip:tên@miền) hoặc số E.164",
  },
  en: {
    "row.column.missing": "A required column is missing",
    "row.column.unknown": "Unknown column",
    "row.column.repeated": "The column appears more than once",
    "row.csv.unreadable": "Cannot read the CSV: {detail}",
    "row.row.field_count": "The line has {found} fields, {expected} expected",
    "row.row.repeated": "Same as line {line}",
    "row.unit.unknown": "No unit with this code",
    "row.unit.outside_scope": "The unit is outside the units you are responsible for",
    "row.profile.unknown": "Unknown model; known: {known}",
    "row.endpoint.name_taken": "The unit already has an endpoint of this name",
    "row.endpoint.address_taken": "This host and port are already registered",
    "row.camera.name_taken": "The unit already has a camera of this name",
    "row.camera.url_taken": "This stream address is already registered",
    "row.standard.limit": "Beyond the device's limits under the standard: {problem}",
    "row.value.missing": "Required",
    "row.value.string_too_long": "Longer than {max_length} characters",
    "row.value.string_too_short": "Shorter than {min_length} characters",
    "row.value.string_pattern_mismatch": "Wrong format",
    "row.value.int_parsing": "Must be a whole number",
    "row.value.greater_than_equal": "Must be {ge} or more",
    "row.value.less_than_equal": "Must be at most {le}",
    "row.value.bool_parsing": "Must be true or false",
    "row.value.text_hidden": "Holds a control or invisible character ({char})",
    "row.value.host_invalid": "Must be an IPv4/IPv6 address or a DNS host name",
    "row.value.host_zone_invalid": "An IPv6 zone id (after %) must be an interface name such as eth0",
    "row.value.host_key_format": "Must be an OpenSSH public key line ({types} <base64>)",
    "row.value.host_key_base64": "The key's base64 part is not valid",
    "row.value.host_key_type": "The key's type does not match its base64 body",
    "row.value.sip_uri_invalid": "Must be a SIP URI (sip:user@domain) or an E.164 number",
  },
});

/** A row error or a form field's complaint in words: its code's, filled with its params;
 * else the controller's English reason. */
export function rowErrorText(error) {
  if (!error?.code) return error?.reason ?? "";
  const key = `row.${error.code}`;
  const text = t(key, error.params || {});
  return text === key ? error.reason : text;
}
