/**
 * Readiness before a meeting ("sẵn sàng họp"), for hosts and the units' technicians:
 *
 *   #/ready                  the sessions ahead (each with its board) and a unit's board
 *   #/ready/<session id>     the board of one session: every participant's latest check
 *   #/ready/unit/<code>      the latest check of each endpoint under a unit
 *
 * The not-ready endpoints come first, each with its reasons and what to do about them, the
 * technician's answer ("Đang đến", "Đã khắc phục") and "Kiểm tra lại"; then the ones being
 * checked; the ready ones fold into a count. Live: readiness/events says something moved
 * and the board is read again (at most once a second), rows kept in place when unchanged.
 */
import { h, fill, badge, when, useStyle, download } from "../lib/dom.js";
import { t, register, language } from "../lib/i18n.js";
import { stream, coalesce } from "../lib/sse.js";
import { describe } from "../lib/format.js";
import { loadTree } from "../lib/units.js";
import { unitPicker } from "../lib/unit-picker.js";
import { reasonFix, reasonName, reasonSentence } from "../lib/readiness-text.js";

register({
  vi: {
    "ready.title": "Sẵn sàng trước phiên họp",
    "ready.ahead": "Phiên họp sắp tới",
    "ready.none_ahead": "Chưa có phiên họp nào được lên lịch.",
    "ready.open_board": "Xem bảng sẵn sàng",
    "ready.by_unit": "Bảng sẵn sàng theo đơn vị",
    "ready.pick_unit": "Chọn đơn vị",
    "ready.starts": "Bắt đầu {at}",
    "ready.in_min": "còn {n} phút",
    "ready.started": "đã bắt đầu",
    "ready.check_all": "Kiểm tra tất cả ngay",
    "ready.check_unit": "Kiểm tra đơn vị này ngay",
    "ready.started_run": "Đã bắt đầu kiểm tra {n} điểm cầu",
    "ready.runs": "Các lượt kiểm tra",
    "ready.no_runs": "Chưa có lượt kiểm tra nào: lượt đầu chạy lúc 60 phút trước giờ họp.",
    "ready.run_line": "{label} lúc {at}: {ready} sẵn sàng, {not_ready} chưa sẵn sàng",
    "ready.run_running": "{label} lúc {at}: đang chạy ({done}/{n})",
    "ready.count_ready": "Sẵn sàng",
    "ready.count_not_ready": "Chưa sẵn sàng",
    "ready.count_checking": "Đang kiểm tra",
    "ready.not_ready": "Chưa sẵn sàng",
    "ready.checking": "Đang kiểm tra",
    "ready.ready_n": "{n} điểm cầu sẵn sàng",
    "ready.all_ready": "Mọi điểm cầu đều sẵn sàng.",
    "ready.empty": "Chưa có kết quả kiểm tra nào.",
    "ready.col_endpoint": "Điểm cầu",
    "ready.col_unit": "Đơn vị",
    "ready.col_reasons": "Lý do",
    "ready.col_fix": "Cần làm",
    "ready.col_ack": "Kỹ thuật viên",
    "ready.col_checked": "Kiểm tra lúc",
    "ready.col_actions": "Thao tác",
    "ready.on_my_way": "Đang đến",
    "ready.fixed": "Đã khắc phục",
    "ready.check_again": "Kiểm tra lại",
    "ready.ack_line": "{kind} · {by} · {at}",
    "ready.rechecking": "đang kiểm tra lại…",
    "ready.status_queued": "chờ",
    "ready.status_checking": "đọc thiết bị",
    "ready.status_test_call": "đang gọi thử",
    "ready.figures": "Gọi thử: kết nối {connect} s, mất gói {loss} %, trễ biến thiên {jitter} ms",
    "ready.warnings": "Lưu ý",
    "ready.not_found": "Không có phiên họp này.",
    "ready.back": "← Các phiên sắp tới",
    "ready.live": "Cập nhật trực tiếp",
    "ready.download": "Tải Excel",
    "ready.downloaded": "Đã tải {name}",
    "ready.offline": "Mất kết nối cập nhật, đang nối lại…",
  },
  en: {
    "ready.title": "Readiness before a session",
    "ready.ahead": "Sessions ahead",
    "ready.none_ahead": "No session is scheduled.",
    "ready.open_board": "Open the readiness board",
    "ready.by_unit": "A unit's readiness board",
    "ready.pick_unit": "Pick a unit",
    "ready.starts": "Starts {at}",
    "ready.in_min": "in {n} min",
    "ready.started": "started",
    "ready.check_all": "Check everyone now",
    "ready.check_unit": "Check this unit now",
    "ready.started_run": "Checking {n} endpoints",
    "ready.runs": "Rounds",
    "ready.no_runs": "No round yet: the first runs 60 minutes before the start.",
    "ready.run_line": "{label} at {at}: {ready} ready, {not_ready} not ready",
    "ready.run_running": "{label} at {at}: running ({done}/{n})",
    "ready.count_ready": "Ready",
    "ready.count_not_ready": "Not ready",
    "ready.count_checking": "Checking",
    "ready.not_ready": "Not ready",
    "ready.checking": "Being checked",
    "ready.ready_n": "{n} endpoints ready",
    "ready.all_ready": "Every endpoint is ready.",
    "ready.empty": "No check yet.",
    "ready.col_endpoint": "Endpoint",
    "ready.col_unit": "Unit",
    "ready.col_reasons": "Why",
    "ready.col_fix": "To do",
    "ready.col_ack": "Technician",
    "ready.col_checked": "Checked",
    "ready.col_actions": "Actions",
    "ready.on_my_way": "On my way",
    "ready.fixed": "Fixed",
    "ready.check_again": "Check again",
    "ready.ack_line": "{kind} · {by} · {at}",
    "ready.rechecking": "checking again…",
    "ready.status_queued": "queued",
    "ready.status_checking": "reading the device",
    "ready.status_test_call": "test call",
    "ready.figures": "Test call: connected in {connect} s, loss {loss} %, jitter {jitter} ms",
    "ready.warnings": "Notes",
    "ready.not_found": "No such session.",
    "ready.back": "← Sessions ahead",
    "ready.live": "Live",
    "ready.download": "Download Excel",
    "ready.downloaded": "Downloaded {name}",
    "ready.offline": "Live updates lost, reconnecting…",
  },
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ACTORS = new Set(["host", "technician", "admin"]);

/** Whether this user may start checks and answer for an endpoint (somewhere: the controller
 * keeps each to its units). */
function canAct(user) {
  return (user.grants || []).map((g) => g.role).concat(user.role).some((r) => ACTORS.has(r));
}

export async function mount(el, ctx, _route, id, arg) {
  useStyle("views/ready.css");
  if (!id) return mountAhead(el, ctx);
  if (id === "unit" && arg) return mountBoard(el, ctx, { unit: decodeURIComponent(arg) });
  if (!UUID.test(id)) {
    fill(el, h("p", { class: "error", role: "alert" }, t("ready.not_found")), h("a", { href: "#/ready" }, t("ready.back")));
    return () => {};
  }
  return mountBoard(el, ctx, { session: id });
}

async function mountAhead(el, ctx) {
  const list = h("div", { id: "ready-ahead" }, h("p", { class: "muted" }, t("app.loading")));
  const unitSlot = h("span", { class: "unit-slot" });
  fill(el,
    h("h1", {}, t("ready.title")),
    h("section", { class: "panel" }, h("h2", {}, t("ready.ahead")), list),
    h("section", { class: "panel" }, h("h2", {}, t("ready.by_unit")),
      h("label", {}, h("span", { class: "label" }, t("ready.pick_unit")), unitSlot)));
  try {
    const page = await ctx.api.get("sessions", { status: "scheduled", limit: 100 });
    const items = [...page.items].sort((a, b) => Date.parse(a.start_at) - Date.parse(b.start_at));
    fill(list, items.length
      ? h("ul", { class: "ahead" }, items.map((s) => h("li", { "data-session": s.id },
        h("a", { href: `#/ready/${s.id}` }, s.title), " · ", t("ready.starts", { at: when(s.start_at, language()) }))))
      : h("p", { class: "muted" }, t("ready.none_ahead")));
  } catch (err) {
    fill(list, h("p", { class: "error", role: "alert" }, describe(err)));
  }
  loadTree(ctx.api).then((roots) => {
    const picker = unitPicker(roots, { id: "ready-unit", label: t("ready.pick_unit"),
      onChange: (code) => { if (code) ctx.go(`ready/unit/${encodeURIComponent(code)}`); } });
    unitSlot.replaceWith(picker.el);
  }, () => {});
  return () => {};
}

function mountBoard(el, ctx, filter) {
  const { api } = ctx;
  const acting = canAct(ctx.user);
  const head = h("div", { class: "ready-head" });
  const runs = h("div", { class: "ready-runs", id: "ready-runs" });
  const counts = h("p", { class: "counts", id: "ready-counts", "aria-live": "polite" });
  const live = h("span", { class: "muted", id: "ready-live" });
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const problems = h("tbody", {});
  const checking = h("ul", { class: "ready-checking", id: "ready-checking" });
  const readyList = h("ul", { class: "ready-ok", id: "ready-ok" });
  const readySummary = h("summary", {});
  const problemsPanel = h("section", { class: "panel ready-problems", id: "ready-problems" },
    h("h2", {}, t("ready.not_ready")),
    h("div", { class: "scroll" }, h("table", { id: "ready-table" },
      h("thead", {}, h("tr", {}, ["col_endpoint", "col_unit", "col_reasons", "col_fix", "col_ack", "col_checked"]
        .map((k) => h("th", { scope: "col" }, t(`ready.${k}`))), acting ? h("th", { scope: "col" }, t("ready.col_actions")) : null)),
      problems)));
  const checkingPanel = h("section", { class: "panel", id: "ready-checking-panel", hidden: true },
    h("h2", {}, t("ready.checking")), checking);
  const readyPanel = h("section", { class: "panel" }, h("details", { id: "ready-ok-box" }, readySummary, readyList));
  fill(el, h("a", { href: "#/ready" }, t("ready.back")), head, error, counts, runs, problemsPanel, checkingPanel, readyPanel, live);

  const rows = new Map(); // endpoint id → [signature, row element]
  let alive = true;
  let board = null;

  async function startRun(body) {
    try {
      const run = await api.post("readiness/runs", body);
      ctx.toast(t("ready.started_run", { n: run.counts.queued }), "ok");
      refresh();
    } catch (err) {
      ctx.toast(describe(err), "error");
    }
  }

  /** The board as the province files it (controller/reports: Vietnamese headers, unit tree). */
  async function downloadReport(button) {
    button.disabled = true;
    try {
      const r = await api.raw("readiness/report", { query: { ...filter, format: "xlsx" } });
      const disposition = r.headers.get("Content-Disposition") || "";
      const name = decodeURIComponent(/filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition)?.[1] || "san-sang.xlsx");
      download(await r.blob(), name);
      ctx.toast(t("ready.downloaded", { name }), "ok");
    } catch (err) {
      ctx.toast(describe(err), "error");
    } finally {
      button.disabled = false;
    }
  }

  function renderHead() {
    const title = board.title || filter.unit || "";
    const left = board.start_at ? Math.round((Date.parse(board.start_at) - Date.now()) / 60000) : null;
    const action = filter.session
      ? h("button", { type: "button", class: "primary", id: "ready-check-all", onclick: () => startRun({ session: filter.session }) }, t("ready.check_all"))
      : h("button", { type: "button", class: "primary", id: "ready-check-all",
        onclick: () => startRun({ scope: { units: [{ unit: filter.unit }] } }) }, t("ready.check_unit"));
    fill(head, h("div", { class: "row" },
      h("h1", {}, t("ready.title"), ": ", h("span", { id: "ready-session-title" }, title)),
      h("span", { class: "spacer" }),
      h("button", { type: "button", id: "ready-download", onclick: (ev) => downloadReport(ev.currentTarget) }, t("ready.download")),
      acting ? action : null),
    board.start_at ? h("p", { class: "muted" }, t("ready.starts", { at: when(board.start_at, language()) }), " · ",
      left > 0 ? t("ready.in_min", { n: left }) : t("ready.started")) : null);
  }

  function renderRuns() {
    if (!filter.session) { fill(runs); return; }
    fill(runs, h("h2", {}, t("ready.runs")), board.runs.length
      ? h("ul", {}, board.runs.map((r) => {
        const c = r.counts;
        const n = Object.values(c).reduce((a, b) => a + b, 0);
        const at = new Date(r.started_at).toLocaleTimeString(language() === "vi" ? "vi-VN" : "en-GB", { hour: "2-digit", minute: "2-digit" });
        const text = r.status === "running"
          ? t("ready.run_running", { label: r.label, at, done: c.ready + c.not_ready, n })
          : t("ready.run_line", { label: r.label, at, ready: c.ready, not_ready: c.not_ready });
        return h("li", { "data-run": r.id, "data-status": r.status }, text);
      }))
      : h("p", { class: "muted" }, t("ready.no_runs")));
  }

  function ackText(item) {
    if (!item.ack_kind) return "—";
    return t("ready.ack_line", { kind: t(`ready.${item.ack_kind}`), by: item.ack_by, at: when(item.ack_at, language()) })
      + (item.ack_note ? ` · ${item.ack_note}` : "");
  }

  async function answer(item, kind) {
    try {
      await api.post(`readiness/checks/${item.id}/ack`, { kind });
      refresh();
    } catch (err) {
      ctx.toast(describe(err), "error");
    }
  }

  async function checkAgain(item) {
    try {
      await api.post(`readiness/endpoints/${item.endpoint_id}/check`, null, filter.session ? { session: filter.session } : {});
      refresh();
    } catch (err) {
      ctx.toast(describe(err), "error");
    }
  }

  function problemRow(item) {
    const blocking = item.reasons.filter((r) => r.blocking);
    const fixes = [...new Set(blocking.map((r) => reasonFix(r.code)).filter(Boolean))];
    const again = item.status !== "done";
    return h("tr", { "data-endpoint": item.endpoint_name, "data-check": item.id, "data-status": item.status },
      h("th", { scope: "row" }, item.endpoint_id ? h("a", { href: `#/endpoint/${item.endpoint_id}` }, item.endpoint_name) : item.endpoint_name,
        again ? h("div", { class: "muted" }, t("ready.rechecking")) : null),
      h("td", { title: item.unit_code }, item.unit_name),
      h("td", {}, h("ul", { class: "reasons" }, item.reasons.map((r) =>
        h("li", { class: r.blocking ? "reason" : "reason note", "data-code": r.code }, reasonSentence(r))))),
      h("td", {}, fixes.length ? h("ul", { class: "fixes" }, fixes.map((f) => h("li", {}, f))) : "—"),
      h("td", { class: "ack", "data-ack": item.ack_kind || "" }, ackText(item)),
      h("td", {}, when(item.finished_at, language())),
      acting ? h("td", { class: "actions" },
        h("button", { type: "button", "data-act": "on_my_way", onclick: () => answer(item, "on_my_way") }, t("ready.on_my_way")),
        h("button", { type: "button", "data-act": "fixed", onclick: () => answer(item, "fixed") }, t("ready.fixed")),
        h("button", { type: "button", class: "primary", "data-act": "check", disabled: again, onclick: () => checkAgain(item) }, t("ready.check_again")))
        : null);
  }

  function renderItems() {
    const notReady = board.items.filter((i) => i.verdict === "not_ready");
    const inFlight = board.items.filter((i) => i.status !== "done" && i.verdict !== "not_ready");
    const ready = board.items.filter((i) => i.status === "done" && i.verdict === "ready");
    const seen = new Set();
    for (const item of notReady) {
      const sig = JSON.stringify([item.id, item.status, item.ack_kind, item.ack_at, item.reasons]);
      const known = rows.get(item.endpoint_id);
      seen.add(item.endpoint_id);
      if (known && known[0] === sig) { problems.append(known[1]); continue; } // moved into order, kept
      const row = problemRow(item);
      if (known) known[1].replaceWith(row);
      rows.set(item.endpoint_id, [sig, row]);
      problems.append(row);
    }
    for (const [key, [, row]] of rows) if (!seen.has(key)) { row.remove(); rows.delete(key); }
    problemsPanel.hidden = !notReady.length;
    checkingPanel.hidden = !inFlight.length;
    fill(checking, inFlight.map((i) => h("li", { "data-endpoint": i.endpoint_name, "data-status": i.status },
      i.endpoint_name, " · ", i.unit_name, " · ", t(`ready.status_${i.status}`))));
    readySummary.textContent = board.items.length && ready.length === board.items.length
      ? t("ready.all_ready") : t("ready.ready_n", { n: ready.length });
    fill(readyList, ready.map((i) => {
      const f = i.results?.test_call;
      const notes = i.reasons.map((r) => reasonName(r.code));
      return h("li", { "data-endpoint": i.endpoint_name },
        h("strong", {}, i.endpoint_name), " · ", i.unit_name,
        f && f.connect_s != null ? h("span", { class: "muted" }, " · ", t("ready.figures", {
          connect: f.connect_s, loss: f.loss_pct ?? "—", jitter: f.jitter_ms ?? "—" })) : null,
        notes.length ? h("span", { class: "note" }, ` · ${t("ready.warnings")}: ${notes.join(", ")}`) : null);
    }));
    const c = board.counts;
    fill(counts,
      badge("ready", `${t("ready.count_ready")}: ${c.ready}`), " ",
      badge("not_ready", `${t("ready.count_not_ready")}: ${c.not_ready}`), " ",
      badge("checking", `${t("ready.count_checking")}: ${c.queued + c.checking + c.test_call}`));
    counts.dataset.ready = String(c.ready);
    counts.dataset.notReady = String(c.not_ready);
    if (!board.items.length) fill(readyList, h("li", { class: "muted" }, t("ready.empty")));
  }

  async function load() {
    try {
      const next = await api.get("readiness/board", filter);
      if (!alive) return;
      board = next;
      error.hidden = true;
      renderHead();
      renderRuns();
      renderItems();
    } catch (err) {
      error.textContent = err?.status === 404 ? t("ready.not_found") : describe(err);
      error.hidden = false;
    }
  }

  const refresh = coalesce(load, 1000);
  load();
  const stop = stream(api, "readiness/events", () => refresh(), {
    query: filter,
    onState: (s) => { live.textContent = s === "open" ? t("ready.live") : s === "reconnecting" ? t("ready.offline") : ""; },
  });
  return () => { alive = false; refresh.cancel(); stop(); };
}
