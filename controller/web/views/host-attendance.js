/** #/host/<id>/attendance: who joined, when, for how long, what each one's readiness checks
 * said (the roll call: why an absent commune was absent); Excel and CSV for the minutes. */
import { h, fill, badge, download } from "../lib/dom.js";
import { t, stateName } from "../lib/i18n.js";
import { ApiError } from "../lib/api.js";
import { duration } from "../lib/format.js";
import { reasonName } from "../lib/readiness-text.js";
import { at, causeText, problemText } from "./host-common.js";
import "./host-i18n.js";

export function mountAttendance(el, ctx, sessionId) {
  const { api } = ctx;
  const head = h("div", { class: "att-summary", id: "host-att-summary" });
  // A long roll scrolls in its box and holds no control: focusable, so the keyboard scrolls it.
  const table = h("div", { class: "scroll att-scroll", tabindex: 0, role: "region", "aria-label": t("host.att_title") });
  const error = h("p", { class: "error", role: "alert", id: "host-att-error" });
  const note = h("p", { class: "muted", hidden: true }, t("host.att_live_note"));
  const xlsx = h("button", { type: "button", class: "primary", id: "host-att-xlsx", onclick: () => downloadAs("xlsx", xlsx) }, t("host.att_download_xlsx"));
  const csv = h("button", { type: "button", id: "host-att-csv", onclick: () => downloadAs("csv", csv) }, t("host.att_download"));
  const refreshBtn = h("button", { type: "button", id: "host-att-refresh", onclick: () => refresh() }, t("host.att_refresh"));
  const titleEl = h("h1", {}, t("host.att_title"));
  fill(el,
    h("div", { class: "row host-head" }, h("a", { href: `#/host/${sessionId}` }, t("host.back_board")), titleEl, h("span", { class: "spacer" }), refreshBtn, xlsx, csv),
    error,
    h("section", { class: "panel" }, head, note, table));

  let timer = null;
  async function refresh() {
    try {
      const [att, detail] = await Promise.all([api.get(`sessions/${sessionId}/attendance`), api.get(`sessions/${sessionId}`)]);
      render(att, detail);
      error.textContent = "";
      const live = detail.status === "live";
      note.hidden = !live;
      clearInterval(timer);
      timer = live ? setInterval(refresh, 10000) : null;
    } catch (err) {
      error.textContent = err instanceof ApiError && err.status === 404 ? t("host.not_found") : problemText(err);
    }
  }

  function render(att, detail) {
    titleEl.textContent = `${t("host.att_title")}: ${att.title}`;
    const rate = att.invited ? Math.round((100 * att.joined) / att.invited) : 0;
    const item = (label, value, name) => h("div", { class: "stat", "data-stat": name }, h("span", { class: "muted" }, label), h("b", {}, value));
    fill(head,
      item(t("host.col_status"), badge(detail.status, stateName(detail.status)), "status"),
      item(t("host.col_conference"), att.conference_id, "conference"),
      item(t("host.col_start"), at(att.started_at), "start"),
      item(t("host.col_end"), at(att.ended_at), "end"),
      item(t("host.att_invited"), String(att.invited), "invited"),
      item(t("host.att_joined"), String(att.joined), "joined"),
      item(t("host.att_rate"), `${rate}%`, "rate"),
      item(t("host.att_absent"), String((att.absent || []).length), "absent"));
    if (!att.participants.length) { fill(table, h("p", { class: "muted" }, t("host.att_empty"))); return; }
    fill(table, h("table", { class: "attendance", id: "host-att-table" },
      h("thead", {}, h("tr", {},
        ["att_endpoint", "att_unit", "att_final", "att_cause", "att_join", "att_leave", "att_connected", "att_drops", "att_attempts", "att_readiness"]
          .map((k) => h("th", { class: ["att_connected", "att_drops", "att_attempts"].includes(k) ? "num" : null }, t(`host.${k}`))))),
      h("tbody", {}, att.participants.map((r) => h("tr", { "data-endpoint": r.endpoint_name, "data-state": r.final_state,
        "data-drops": r.drops, "data-attempts": r.attempts,
        title: r.intervals.map(([a, b]) => `${at(a)} – ${b ? at(b) : "…"}`).join("\n") || null },
        h("td", {}, r.endpoint_name),
        h("td", { title: r.unit_code }, r.unit_name),
        h("td", {}, badge(r.final_state, stateName(r.final_state))),
        h("td", { class: "cause", "data-code": r.cause_code || "" }, causeText(r)),
        h("td", {}, at(r.first_join_at)),
        h("td", {}, at(r.last_leave_at)),
        h("td", { class: "num" }, duration(r.connected_s)),
        h("td", { class: "num" }, String(r.drops)),
        h("td", { class: "num" }, String(r.attempts)),
        h("td", { class: "readiness" }, (r.readiness || []).map((m) => h("div", { "data-verdict": m.verdict || "" }, markText(m)))))))));
  }

  /** "T-60 07:00 Chưa sẵn sàng: Chưa đăng ký SIP (Đang đến)": one readiness check of the row. */
  function markText(m) {
    const time = m.at ? new Date(m.at).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" }) : "";
    const verdict = m.verdict ? t(`host.att_${m.verdict}`) : "—";
    const why = m.verdict === "not_ready" && m.reasons.length ? `: ${m.reasons.map(reasonName).join(", ")}` : "";
    const ack = m.ack_kind ? ` (${t(`host.att_ack_${m.ack_kind}`)})` : "";
    return `${m.label} ${time} ${verdict}${why}${ack}`;
  }

  /** The server's file as is (an Excel workbook, or CSV in UTF-8 with a BOM), under its name. */
  async function downloadAs(format, button) {
    button.disabled = true;
    try {
      const r = await api.raw(`sessions/${sessionId}/attendance`, { query: { format } });
      const disposition = r.headers.get("Content-Disposition") || "";
      const name = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1] || `attendance-${sessionId}.${format}`;
      download(await r.blob(), decodeURIComponent(name));
      ctx.toast(t("host.downloaded", { name: decodeURIComponent(name) }), "ok");
    } catch (err) {
      error.textContent = problemText(err);
    } finally {
      button.disabled = false;
    }
  }

  refresh();
  return () => clearInterval(timer);
}
