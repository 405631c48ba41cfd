/**
 * A small line chart for one measure over time: SVG for the line, HTML for the
 * text (so labels stay crisp however the plot is stretched).
 *
 *   const el = lineChart({
 *     title: "Độ trễ", unit: "ms", measure: "latency",
 *     points: [{ at: "2026-11-24T06:48:47Z", value: 21.5 }, { at: ..., value: null }, ...],
 *     from: Date.now() - 86400e3, to: Date.now(),      // optional: the data's extent otherwise
 *     zero: true,                                      // y axis starts at 0 (counts, rates)
 *     threshold: { value: 75, label: "75 °C" },        // optional dashed line
 *     digits: 1,
 *   });
 *
 * A null value, or a silence much longer than the usual sampling interval,
 * breaks the line: a device that did not answer must not look like a steady
 * one. Time ticks are in the browser's local time. The SVG path carries
 * `data-points` (points drawn) for tests and the figure `data-measure`.
 */
import { h, useStyle } from "./dom.js";
import { register, t, language } from "./i18n.js";

register({
  vi: { "chart.no_data": "Không có dữ liệu trong khoảng này", "chart.last": "Gần nhất: {value}" },
  en: { "chart.no_data": "No data in this range", "chart.last": "Latest: {value}" },
});

const SVG = "http://www.w3.org/2000/svg";
const W = 1000; // viewBox units; the SVG is stretched to its box (preserveAspectRatio="none")
const H = 100;
const MAX_DRAWN = 1200; // more points than pixels only costs time: keep min and max per bucket
const MINUTE = 60e3;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STEPS = [MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 3 * HOUR,
  6 * HOUR, 12 * HOUR, DAY, 2 * DAY, 7 * DAY];


function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A number for people: grouped digits, at most `digits` decimals. */
export function formatNumber(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  const locale = language() === "vi" ? "vi-VN" : "en-GB";
  return Number(value).toLocaleString(locale, { maximumFractionDigits: digits });
}

/** Points with a time in ms, in time order, values as numbers or null. */
function normalise(points) {
  return points
    .map((p) => ({ at: typeof p.at === "number" ? p.at : Date.parse(p.at),
      value: p.value === null || p.value === undefined || Number.isNaN(Number(p.value)) ? null : Number(p.value) }))
    .filter((p) => Number.isFinite(p.at))
    .sort((a, b) => a.at - b.at);
}

/** Lines: runs of consecutive points with values, cut at nulls and at silences. */
function segments(points) {
  const gaps = [];
  for (let i = 1; i < points.length; i++) gaps.push(points[i].at - points[i - 1].at);
  const median = gaps.length ? [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)] : 0;
  const silence = median > 0 ? Math.max(median * 5, MINUTE) : Infinity;
  const out = [];
  let run = [];
  let prev = null;
  for (const p of points) {
    if (p.value === null || (prev && p.at - prev.at > silence)) {
      if (run.length) out.push(run);
      run = [];
    }
    if (p.value !== null) run.push(p);
    prev = p;
  }
  if (run.length) out.push(run);
  return out;
}

/** At most MAX_DRAWN points per run: the lowest and highest of each time bucket, in time order. */
function thin(run, from, to) {
  if (run.length <= MAX_DRAWN) return run;
  const buckets = new Map();
  const span = Math.max(1, to - from);
  for (const p of run) {
    const k = Math.floor(((p.at - from) / span) * (MAX_DRAWN / 2));
    const b = buckets.get(k);
    if (!b) buckets.set(k, { lo: p, hi: p });
    else {
      if (p.value < b.lo.value) b.lo = p;
      if (p.value > b.hi.value) b.hi = p;
    }
  }
  const out = [];
  for (const { lo, hi } of buckets.values()) {
    if (lo === hi) out.push(lo);
    else out.push(...(lo.at <= hi.at ? [lo, hi] : [hi, lo]));
  }
  return out;
}

/** Round-ish y bounds that hold every value (and the threshold, if any). */
function yDomain(values, zero, threshold) {
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (threshold !== null && threshold !== undefined) { lo = Math.min(lo, threshold); hi = Math.max(hi, threshold); }
  if (zero) lo = Math.min(0, lo);
  if (hi === lo) { const pad = Math.abs(hi) * 0.1 || 1; hi += pad; if (!zero || lo !== 0) lo -= pad; }
  const pad = (hi - lo) * 0.08;
  return [zero && lo >= 0 ? lo : lo - pad, hi + pad];
}

/** Tick times aligned to local clock boundaries, about `want` of them. */
export function timeTicks(from, to, want = 6) {
  const span = to - from;
  const step = STEPS.find((s) => span / s <= want) || STEPS[STEPS.length - 1];
  const offset = new Date(from).getTimezoneOffset() * MINUTE; // UTC − local, in ms
  const ticks = [];
  for (let local = Math.ceil((from - offset) / step) * step; local + offset <= to; local += step) ticks.push(local + offset);
  return { ticks, step };
}

function tickLabel(ms, step, span) {
  const d = new Date(ms);
  const two = (n) => String(n).padStart(2, "0");
  const clock = `${two(d.getHours())}:${two(d.getMinutes())}`;
  const date = `${two(d.getDate())}/${two(d.getMonth() + 1)}`;
  if (step >= DAY) return date;
  if (span > DAY) return d.getHours() === 0 && d.getMinutes() === 0 ? date : `${date} ${clock}`;
  return clock;
}

function timeLabel(ms) {
  return new Date(ms).toLocaleString(language() === "vi" ? "vi-VN" : "en-GB", { hour12: false });
}

export function lineChart({ title, unit = "", measure = "", points = [], from, to, zero = true, threshold = null, digits = 1 }) {
  useStyle("lib/chart.css");
  const data = normalise(points);
  const withValue = data.filter((p) => p.value !== null);
  const suffix = unit ? ` ${unit}` : "";
  const fmt = (v) => `${formatNumber(v, digits)}${suffix}`;
  const latest = withValue.at(-1);
  const caption = h("figcaption", {},
    h("span", { class: "title" }, title),
    latest ? h("span", { class: "muted latest" }, t("chart.last", { value: fmt(latest.value) })) : null);
  const plot = h("div", { class: "plot" });
  const figure = h("figure", { class: "chart", "data-measure": measure, "data-count": withValue.length }, caption, plot);

  if (!withValue.length) {
    plot.append(h("div", { class: "empty" }, t("chart.no_data")));
    return figure;
  }
  const x0 = from ?? data[0].at;
  const x1 = Math.max(to ?? data.at(-1).at, x0 + MINUTE);
  const tv = threshold?.value ?? null;
  const [y0, y1] = yDomain(withValue.map((p) => p.value), zero, tv);
  const sx = (at) => ((at - x0) / (x1 - x0)) * W;
  const sy = (v) => H - ((v - y0) / (y1 - y0)) * H;

  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: "none", role: "img", "aria-label": title });
  for (const f of [0, 0.5, 1]) root.append(svg("line", { class: "grid-line", x1: 0, x2: W, y1: f * H, y2: f * H }));
  const { ticks, step } = timeTicks(x0, x1);
  for (const tick of ticks) {
    root.append(svg("line", { class: "grid-line", x1: sx(tick), x2: sx(tick), y1: 0, y2: H, "stroke-opacity": 0.5 }));
    plot.append(h("span", { class: "xlab", style: { left: `${(sx(tick) / W) * 100}%` } }, tickLabel(tick, step, x1 - x0)));
  }
  if (tv !== null) {
    root.append(svg("line", { class: "threshold", x1: 0, x2: W, y1: sy(tv), y2: sy(tv) }));
    plot.append(h("span", { class: "tlab", style: { top: `${(sy(tv) / H) * 100}%` } }, threshold.label ?? fmt(tv)));
  }
  let d = "";
  let dots = "";
  let drawn = 0;
  for (const run of segments(data)) {
    const pts = thin(run, x0, x1);
    drawn += pts.length;
    const path = pts.map((p, i) => `${i ? "L" : "M"}${sx(p.at).toFixed(1)} ${sy(p.value).toFixed(2)}`).join("");
    // A lone sample between gaps has no line to be part of: a dot (zero-length, round cap).
    if (pts.length === 1) dots += `${path}l0.01 0`;
    else d += path;
  }
  root.append(svg("path", { class: "line", d, "data-points": drawn }));
  if (dots) root.append(svg("path", { class: "line dots", d: dots }));
  plot.append(root);
  plot.append(h("span", { class: "ylab", style: { top: "0%" } }, fmt(y1)));
  plot.append(h("span", { class: "ylab", style: { top: "100%" } }, fmt(y0)));
  hover(plot, withValue, x0, x1, fmt);
  return figure;
}

/** A cursor and the nearest sample's value and time under the pointer. */
function hover(plot, points, x0, x1, fmt) {
  const cursor = h("div", { class: "cursor", hidden: true });
  const tip = h("div", { class: "tip", hidden: true });
  plot.append(cursor, tip);
  plot.addEventListener("pointermove", (ev) => {
    const box = plot.getBoundingClientRect();
    const at = x0 + ((ev.clientX - box.left) / box.width) * (x1 - x0);
    let lo = 0, hi = points.length - 1;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (points[mid].at < at) lo = mid + 1; else hi = mid; }
    const p = lo > 0 && at - points[lo - 1].at < points[lo].at - at ? points[lo - 1] : points[lo];
    const left = `${((p.at - x0) / (x1 - x0)) * 100}%`;
    cursor.style.left = tip.style.left = left;
    tip.textContent = `${fmt(p.value)} · ${timeLabel(p.at)}`;
    cursor.hidden = tip.hidden = false;
  });
  plot.addEventListener("pointerleave", () => { cursor.hidden = tip.hidden = true; });
}
