/**
 * Formatting every view shares: times, durations, errors and search text, in
 * the console's language. One place, so "13:49:02" and "1:02:05" read alike on
 * the wall, the session board and the registry.
 */
import { language } from "./i18n.js";

const locale = () => (language() === "vi" ? "vi-VN" : "en-GB");

/** "13:49:02": a time of day, 24 h, in the console's language. */
export function timeOfDay(at) {
  return new Date(at).toLocaleTimeString(locale(), { hour12: false });
}

/** 3725 → "1:02:05": connected time and elapsed time, the form a meeting's minutes use. */
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return `${Math.floor(s / 3600)}:${mm}:${ss}`;
}

/** 93784 → "1 ngày 2 giờ 3 phút" / "1 d 2 h 3 min": an uptime, to the minute; null stays null. */
export function uptime(seconds) {
  if (seconds === null || seconds === undefined) return null;
  const s = seconds;
  const d = Math.floor(s / 86400), hh = Math.floor((s % 86400) / 3600), mm = Math.floor((s % 3600) / 60);
  return language() === "vi" ? `${d ? `${d} ngày ` : ""}${hh} giờ ${mm} phút` : `${d ? `${d} d ` : ""}${hh} h ${mm} min`;
}

/** The text to show for a failed request: the problem's detail, never a stack. */
export function describe(err) {
  return typeof err?.describe === "function" ? err.describe() : String(err?.message || err);
}

/** Case- and accent-insensitive text ("ha noi" finds "Hà Nội"). */
export function fold(text) {
  return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
}
