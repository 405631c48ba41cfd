/**
 * A device's history as charts (1 h / 24 h / 7 d). Raw ranges grow live; hourly
 * rollups are re-read now and then.
 */
import { h, fill, when } from "../lib/dom.js";
import { language } from "../lib/i18n.js";
import { lineChart } from "../lib/chart.js";
import { describe } from "../lib/format.js";
import "./details-i18n.js";

const HOUR = 3600e3;
const RANGES = { "1h": HOUR, "24h": 24 * HOUR, "7d": 7 * 24 * HOUR };

/**
 * The charts of each kind of device: which field of a history point each one
 * plots. Raw points and hourly rollups (7 d of an endpoint) name fields
 * differently, hence one field per resolution.
 */
const CHARTS = {
  endpoint: [
    { measure: "latency", title: "details.latency", unit: "ms", raw: "latency_ms", hourly: "latency_ms", digits: 0 },
    { measure: "loss", title: "details.packet_loss", unit: "%", raw: "loss_pct", hourly: "loss_pct_avg", digits: 2 },
    { measure: "temperature", title: "details.temperature", unit: "°C", raw: "temperature_c", hourly: "temperature_c_avg", zero: false },
    { measure: "availability", title: "details.availability", unit: "%", hourly: "availability", scale: 100 },
  ],
  camera: [
    { measure: "fps", title: "details.fps", unit: "fps", raw: "fps", threshold: "min_fps" },
    { measure: "bitrate", title: "details.bitrate", unit: "kbit/s", raw: "bitrate_kbps", digits: 0 },
    { measure: "keyframe", title: "details.keyframe", unit: "s", raw: "keyframe_interval_s", threshold: "max_keyframe_interval_s" },
  ],
};

/**
 * The history panel: range buttons and one chart per measure. Raw ranges grow
 * live: every half minute only the samples after the last one are fetched and
 * appended (a day of samples is not downloaded again); hourly rollups are
 * re-read every ten minutes.
 */
export function historyPanel(ctx, kind, id, thresholds = () => ({})) {
  const { api, t } = ctx;
  let range = "24h";
  let loading = 0;
  let data = null; // {resolution, points} of the shown range
  let fetchedAt = 0;
  const note = h("span", { class: "muted note" });
  const buttons = Object.keys(RANGES).map((key) => h("button", { type: "button", "data-range": key,
    onclick: () => { range = key; load(); } }, t(`details.range.${key}`)));
  const charts = h("div", { class: "charts", id: "details-charts" });
  const el = h("section", { class: "panel history" },
    h("h2", {}, t("details.history"), h("span", { class: "ranges", role: "group" }, buttons), note), charts);

  function fail(err) {
    // The camera history route is young: a controller without it answers 404/405.
    const missing = err?.status === 404 || err?.status === 405;
    fill(charts, h("p", { class: missing ? "muted" : "error", role: missing ? null : "alert" },
      missing ? t("details.no_history") : t("details.history_failed", { detail: describe(err) })));
    note.textContent = "";
  }

  function draw() {
    const to = Date.now();
    const start = to - RANGES[range];
    data.points = data.points.filter((p) => Date.parse(p.at) >= start);
    const hourly = data.resolution !== "raw";
    const first = data.points[0] ? Date.parse(data.points[0].at) : null;
    // A device younger than the range: the time axis starts with its first sample.
    const from = first && first > start ? first : start;
    note.textContent = [hourly ? t("details.hourly") : "",
      first && first - start > RANGES[range] * 0.05 ? t("details.data_from", { time: when(data.points[0].at, language()) }) : ""]
      .filter(Boolean).join(" · ");
    const limits = thresholds();
    fill(charts, CHARTS[kind].filter((c) => (hourly ? c.hourly : c.raw)).map((c) => {
      const field = hourly ? c.hourly : c.raw;
      const scale = c.scale || 1;
      const limit = c.threshold ? limits[c.threshold] : null;
      return lineChart({
        title: t(c.title), unit: c.unit, measure: c.measure, digits: c.digits ?? 1, zero: c.zero ?? true,
        points: data.points.map((p) => ({ at: p.at, value: p[field] === null || p[field] === undefined ? null : p[field] * scale })),
        from, to,
        threshold: limit !== null && limit !== undefined ? { value: limit } : null,
      });
    }));
  }

  async function load() {
    const mine = ++loading;
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.range === range));
    const since = new Date(Date.now() - RANGES[range]).toISOString();
    let got;
    try {
      got = await api.get(`${kind}s/${id}/health/history`, { since });
    } catch (err) {
      if (mine === loading) fail(err);
      return;
    }
    if (mine !== loading) return;
    data = got;
    fetchedAt = Date.now();
    draw();
  }

  /** The live part: append what is new (raw), or re-read (rollups) now and then. */
  async function tick() {
    if (!data) return load();
    if (data.resolution !== "raw") { if (Date.now() - fetchedAt > 600e3) await load(); return; }
    const mine = loading;
    const last = data.points.at(-1);
    const since = last ? last.at : new Date(Date.now() - RANGES[range]).toISOString();
    let got;
    try {
      got = await api.get(`${kind}s/${id}/health/history`, { since });
    } catch {
      return; // the next tick tries again; what is drawn stays
    }
    if (mine !== loading || got.resolution !== "raw") return;
    const after = last ? Date.parse(last.at) : -Infinity;
    data.points.push(...got.points.filter((p) => Date.parse(p.at) > after));
    draw();
  }

  return { el, load, tick };
}
