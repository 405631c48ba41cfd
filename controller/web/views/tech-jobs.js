/**
 * A job's live progress (provisioning plan/apply and firmware campaigns alike:
 * one component) and the list of recent jobs to reopen one.
 *
 * Progress follows `jobs/{id}/events`: a snapshot (the job, then every item),
 * then each change. Counts are kept per item status as items change, so a
 * 5000-endpoint campaign does not recount on every event. A reconnect gets a
 * fresh snapshot, which simply overwrites the rows.
 */
import { h, fill, when, badge } from "../lib/dom.js";
import { stream } from "../lib/sse.js";
import { t, stateName, language } from "../lib/i18n.js";
import { itemText, jobText } from "../lib/job-text.js";
import { confirmBox } from "../lib/dialog.js";

/** Item statuses that will not change any more (controller/provisioning/runner.py FINAL_ITEM). */
export const ITEM_FINAL = new Set(["planned", "unchanged", "applied", "upgraded", "deferred", "skipped", "error", "cancelled", "held"]);
const JOB_LIVE = new Set(["queued", "running", "waiting"]);
const RESUMABLE = new Set(["interrupted", "halted", "failed", "cancelled"]);
/** Order of the count badges: trouble first, then the rest. */
const STATUS_ORDER = ["error", "held", "interrupted", "running", "waiting", "pending", "deferred", "cancelled", "skipped",
  "planned", "unchanged", "applied", "upgraded"];

export function jobTitle(job) {
  return t(`tech.job_${job.kind}_${job.mode}`);
}

/** "Đơn vị DEMO-H01" / "3 điểm cầu", plus the profile when the target names one. */
export function targetText(target = {}) {
  const parts = [];
  if (target.unit) parts.push(t("tech.target_unit", { unit: target.unit }));
  if (target.endpoints?.length) parts.push(t("tech.target_endpoints", { n: target.endpoints.length }));
  if (target.cameras?.length) parts.push(t("tech.target_cameras", { n: target.cameras.length }));
  if (target.profile) parts.push(target.profile);
  return parts.join(" · ") || "—";
}

/** A job's status badge; a job that finished with failed items is not a green "done": it
 * is amber and says how many failed. */
function jobBadge(job, errors) {
  if (job.status === "done" && errors > 0) {
    return h("span", { class: "badge s-done_errors", "data-state": "done_errors", "data-errors": errors },
      t("tech.done_with_errors", { n: errors }));
  }
  return badge(job.status, stateName(job.status));
}

/**
 * The request that runs a finished job again on its failed items only: the same kind, mode
 * and settings, the failed endpoints (or cameras) as the target. Null: nothing to retry.
 */
export function retryRequest(job, failed) {
  if (!failed.length) return null;
  if (job.kind === "provision") {
    const endpoints = failed.map((i) => i.endpoint_id).filter(Boolean);
    return { path: "provisioning/jobs", body: { mode: job.mode, endpoints, ...(job.target?.profile ? { profile: job.target.profile } : {}) } };
  }
  if (job.kind === "camera_provision") {
    return { path: "provisioning/cameras", body: { mode: job.mode, cameras: failed.map((i) => i.camera_id).filter(Boolean) } };
  }
  if (job.kind === "firmware") {
    const { url, ...settings } = job.params || {}; // the URL is the controller's own setting
    const endpoints = failed.map((i) => i.endpoint_id).filter(Boolean);
    return { path: "firmware/campaigns", body: { ...settings, endpoints, canary: Math.min(settings.canary || 1, endpoints.length) } };
  }
  return null;
}

function doneOf(counts = {}) {
  return Object.entries(counts).reduce((sum, [status, n]) => sum + (ITEM_FINAL.has(status) ? n : 0), 0);
}

/** How a measured stream value reads: "640x360", "15 fps", "1 s", "700 kbit/s". */
const MEASURED_UNITS = { resolution: "", fps: " fps", keyframe_s: " s", bitrate_kbps: " kbit/s" };

function measuredValue(key, value) {
  const v = typeof value === "number" && !Number.isInteger(value) ? value.toFixed(1) : value;
  return `${v}${MEASURED_UNITS[key]}`;
}

/**
 * After a camera apply: what the live RTSP stream really carries (the camera's own
 * read-back can agree with the plan while the encoder still sends something else).
 */
function measuredLine(item) {
  const rows = (item.plan || []).filter((p) => p.key in MEASURED_UNITS && p.measured !== null && p.measured !== undefined);
  if (!rows.length) return null;
  rows.sort((a, b) => Object.keys(MEASURED_UNITS).indexOf(a.key) - Object.keys(MEASURED_UNITS).indexOf(b.key));
  return h("div", { class: "measured" }, t("tech.measured"), " ",
    rows.map((p, i) => [i ? " · " : "", h("span", { "data-key": p.key, "data-value": String(p.measured) },
      measuredValue(p.key, p.measured))]));
}

/** Plan lines worth reading: the keys that differ, "key: current → desired". */
function changes(item) {
  const set = (item.plan || []).filter((p) => p.action === "set");
  const ok = (item.plan || []).filter((p) => p.action === "ok").length;
  // keys the standard sets that this endpoint cannot take: said on their own line, never dropped
  const other = (item.plan || []).filter((p) => p.action === "refused" || p.action === "unsupported");
  const written = new Set(item.written || []);
  return h("div", { class: "changes" },
    set.map((p) => h("div", { class: `change${written.has(p.key) ? " written" : ""}`, "data-key": p.key },
      h("code", {}, p.key), ": ",
      h("span", { class: "current" }, p.current == null || p.current === "" ? "∅" : p.current), " → ",
      h("span", { class: "desired" }, p.desired == null || p.desired === "" ? "∅" : p.desired))),
    other.map((p) => h("div", { class: `plan-note ${p.action}`, "data-key": p.key, "data-action": p.action },
      h("code", {}, p.key), ": ", t(`tech.plan_${p.action}`))),
    !set.length && item.written?.length ? h("div", {}, item.written.join(", ")) : null,
    ok ? h("div", { class: "muted" }, t("tech.plan_ok", { n: ok })) : null,
    measuredLine(item));
}

/** ``onStarted(job)``: a job this panel started itself (a retry), for the list beside it. */
export function jobProgress(ctx, { onUpdate = () => {}, onStarted = () => {}, actions = [] } = {}) {
  let job = null;
  let stopStream = null;
  let rows = new Map(); // item id → { item, tr }
  let counts = new Map(); // status → n
  let token = 0; // ignores late answers for a job no longer shown

  const title = h("span", { class: "job-title" }, t("tech.no_job"));
  const status = h("span", { class: "job-status" });
  const live = h("span", { class: "muted live" });
  const meta = h("div", { class: "muted job-meta" });
  const message = h("div", { class: "job-message" });
  const bar = h("div", { style: { width: "0%" } });
  const progress = h("div", { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-label": t("tech.col_progress") }, bar);
  const ratio = h("span", { class: "ratio" });
  const countsEl = h("div", { class: "counts job-counts" });
  const cancelBtn = h("button", { type: "button", class: "danger", hidden: true, onclick: () => act("cancel") }, t("tech.cancel"));
  const resumeBtn = h("button", { type: "button", hidden: true, onclick: () => act("resume") }, t("tech.resume"));
  // Failures first, and only them when asked; then run the job again on just those.
  const onlyErrors = h("input", { type: "checkbox", class: "only-errors", onchange: () => el.classList.toggle("only-errors", onlyErrors.checked) });
  const onlyErrorsBox = h("label", { class: "only-errors-box", hidden: true }, onlyErrors, t("tech.only_errors"));
  const retryBtn = h("button", { type: "button", class: "retry", hidden: true, onclick: () => retry() });
  const head = h("tr", {});
  const body = h("tbody", {});
  // Until a job is opened (data-job set) the panel says so instead of showing an empty bar.
  const el = h("section", { class: "panel job" },
    h("h2", {}, title, status, h("span", { class: "spacer" }), live),
    h("p", { class: "muted job-empty" }, t("tech.no_job_help")),
    h("div", { class: "job-body" },
      meta, message,
      h("div", { class: "row progress-row" }, h("div", { class: "grow" }, progress), ratio),
      h("div", { class: "row" }, countsEl, onlyErrorsBox, h("span", { class: "spacer" }), ...actions, retryBtn, cancelBtn, resumeBtn),
      h("div", { class: "scroll job-items" }, h("table", {}, h("thead", {}, head), body))));

  function bump(status, by) {
    counts.set(status, (counts.get(status) || 0) + by);
    if (counts.get(status) <= 0) counts.delete(status);
  }

  /** A camera item (camera_id set, endpoint_id null) links to the camera's page. */
  function itemLink(item) {
    if (item.camera_id) return h("a", { href: `#/camera/${item.camera_id}` }, item.endpoint_name);
    if (item.endpoint_id) return h("a", { href: `#/endpoint/${item.endpoint_id}` }, item.endpoint_name);
    return item.endpoint_name;
  }

  function renderItem(tr, item) {
    tr.dataset.status = item.status;
    fill(tr,
      h("td", { class: "name" }, itemLink(item)),
      job?.kind === "firmware" ? h("td", { class: "num" }, item.wave === 0 ? t("tech.canary") : item.wave) : null,
      h("td", {}, badge(item.status, stateName(item.status))),
      h("td", { class: "message", "data-code": item.error_code || item.message_code || "" }, itemText(item), item.error_code ? h("span", { class: "muted" }, ` (${item.error_code})`) : null,
        // The raw exchange with the device, for errors (read with the final record; the stream omits it).
        item.transcript ? h("details", { class: "transcript" }, h("summary", {}, t("tech.transcript")), h("pre", {}, item.transcript)) : null),
      job?.kind === "firmware" ? null : h("td", {}, changes(item)));
  }

  function upsert(item) {
    const row = rows.get(item.id);
    if (row) bump(row.item.status, -1);
    bump(item.status, 1);
    const merged = row ? { ...row.item, ...item } : item;
    const tr = row?.tr || h("tr", { "data-item": item.id, "data-endpoint": item.endpoint_name });
    if (item.status === "error") body.prepend(tr); // failures first: the rows to act on
    else if (!row) body.append(tr);
    rows.set(item.id, { item: merged, tr });
    renderItem(tr, merged);
  }

  function renderHead() {
    fill(head, h("th", {}, t(job?.kind === "camera_provision" ? "tech.col_camera" : "tech.col_endpoint")),
      job?.kind === "firmware" ? h("th", {}, t("tech.col_wave")) : null,
      h("th", {}, t("tech.col_status")), h("th", {}, t("tech.col_message")),
      job?.kind === "firmware" ? null : h("th", {}, t("tech.col_changes")));
  }

  function renderSummary() {
    if (!job) return;
    title.textContent = jobTitle(job);
    fill(status, jobBadge(job, counts.get("error") || 0));
    el.dataset.job = job.id;
    el.dataset.status = job.status;
    fill(meta, targetText(job.target), " · ", t("tech.by", { who: job.created_by }), " · ",
      when(job.started_at || job.created_at, language()),
      job.finished_at ? ` → ${when(job.finished_at, language())}` : "");
    message.textContent = jobText(job);
    message.dataset.code = job.message_code || "";
    const total = rows.size || job.total || 0;
    const done = rows.size ? [...counts].reduce((s, [st, n]) => s + (ITEM_FINAL.has(st) ? n : 0), 0) : doneOf(job.counts);
    bar.style.width = total ? `${(100 * done) / total}%` : "0%";
    progress.setAttribute("aria-valuemax", String(total));
    progress.setAttribute("aria-valuenow", String(done));
    ratio.textContent = `${done}/${total}`;
    ratio.dataset.done = done;
    ratio.dataset.total = total;
    const shown = [...counts.keys()].sort((a, b) => STATUS_ORDER.indexOf(a) - STATUS_ORDER.indexOf(b));
    fill(countsEl, shown.map((s) => h("span", { class: `badge s-${s}`, "data-status": s, "data-count": counts.get(s) },
      `${stateName(s)}: ${counts.get(s)}`)));
    cancelBtn.hidden = !JOB_LIVE.has(job.status);
    resumeBtn.hidden = !RESUMABLE.has(job.status);
    const errors = counts.get("error") || 0;
    onlyErrorsBox.hidden = !errors;
    if (!errors && onlyErrors.checked) { onlyErrors.checked = false; el.classList.remove("only-errors"); }
    retryBtn.hidden = !(errors && el.dataset.final === "true" && retryRequest(job, failedItems()));
    retryBtn.textContent = t("tech.retry_failed", { n: errors });
  }

  function onEvent(type, data, mine) {
    if (mine !== token) return;
    if (type === "job") {
      const kind = job?.kind;
      job = { ...(job || {}), ...data };
      if (job.kind !== kind) { // campaigns have waves, provisioning has changes: columns differ
        renderHead();
        for (const r of rows.values()) renderItem(r.tr, r.item);
      }
    } else if (type === "item") {
      upsert(data);
    } else if (type === "end") {
      job = { ...job, status: data.status };
      finish(mine);
    }
    renderSummary();
    onUpdate(job, false);
  }

  /**
   * The stream said the job ended: stop following and read the final record once. The
   * items too: a job that ends between the server's snapshot and its "is it still
   * running?" check sends "end" without the last item changes.
   */
  async function finish(mine) {
    stopStream?.();
    stopStream = null;
    live.textContent = "";
    try {
      const [fresh, items] = await Promise.all([ctx.api.get(`jobs/${job.id}`), ctx.api.get(`jobs/${job.id}/items`)]);
      if (mine !== token) return;
      job = fresh;
      for (const item of items) upsert(item);
      el.dataset.final = "true"; // the rows are the job's final record
      renderSummary();
    } catch (err) {
      ctx.toast(err.describe?.() || String(err), "error");
    }
    onUpdate(job, true);
  }

  function follow(jobId) {
    const mine = ++token;
    stopStream?.();
    delete el.dataset.final;
    rows = new Map();
    counts = new Map();
    body.replaceChildren();
    stopStream = stream(ctx.api, `jobs/${jobId}/events`, (type, data) => onEvent(type, data, mine), {
      onState: (s, err) => {
        if (mine !== token) return;
        live.textContent = s === "open" ? t("app.live") : s === "reconnecting" ? t("app.reconnecting") : "";
        if (s === "failed") ctx.toast(err?.describe?.() || t("app.error"), "error");
      },
    });
  }

  function failedItems() {
    return [...rows.values()].map((r) => r.item).filter((i) => i.status === "error");
  }

  async function retry() {
    const failed = failedItems();
    const request = retryRequest(job, failed);
    if (!request) return;
    const names = failed.map((i) => i.endpoint_name);
    const question = t("tech.retry_confirm", { what: jobTitle(job), n: failed.length,
      names: names.slice(0, 8).join(", ") + (names.length > 8 ? ` ${t("tech.and_more", { n: names.length - 8 })}` : "") });
    if (!(await confirmBox(question, { ok: t("tech.retry_failed", { n: failed.length }) }))) return;
    retryBtn.disabled = true;
    try {
      const fresh = await ctx.api.post(request.path, request.body);
      ctx.toast(t("tech.retry_started", { n: failed.length }), "ok");
      job = fresh;
      renderHead();
      renderSummary();
      follow(fresh.id);
      onStarted(fresh);
    } catch (err) {
      ctx.toast(err.describe?.() || String(err), "error");
    } finally {
      retryBtn.disabled = false;
    }
  }

  async function act(what) {
    if (!job) return;
    try {
      const fresh = await ctx.api.post(`jobs/${job.id}/${what}`);
      ctx.toast(t(`tech.${what}_sent`), "ok");
      if (what === "resume") { job = fresh; follow(fresh.id); }
    } catch (err) {
      ctx.toast(err.describe?.() || String(err), "error");
    }
  }

  return {
    el,
    get job() { return job; },
    /** The rows as shown: every item of the job with its latest state. */
    items() { return [...rows.values()].map((r) => r.item); },
    /** Show a job (just created, or picked from the list) and follow it live. */
    open(jobOrId) {
      const id = typeof jobOrId === "string" ? jobOrId : jobOrId.id;
      job = typeof jobOrId === "string" ? null : jobOrId;
      renderHead();
      renderSummary();
      follow(id);
    },
    stop() { token++; stopStream?.(); stopStream = null; },
  };
}

/** Recent jobs of one kind; a click on a row (or Enter on its job's button) reopens one in the progress panel. */
export function jobList(ctx, { kind, onOpen }) {
  const body = h("tbody", {});
  const note = h("p", { class: "muted" });
  let current = null;
  const el = h("section", { class: "panel jobs" },
    h("h2", {}, t("tech.recent_jobs"), h("span", { class: "spacer" }),
      h("button", { type: "button", onclick: () => refresh() }, t("tech.refresh"))),
    h("div", { class: "scroll jobs-list" }, h("table", {},
      h("thead", {}, h("tr", {}, [t("tech.col_created"), t("tech.col_job"), t("tech.col_target"), t("tech.col_status"),
        t("tech.col_progress")].map((x) => h("th", {}, x)))),
      body)),
    note);

  function row(job) {
    const open = () => { current = job.id; mark(); onOpen(job); };
    return h("tr", { class: `clickable${job.id === current ? " selected" : ""}`, "data-job": job.id, onclick: open },
    h("td", {}, when(job.created_at, language())),
    // The job's name is a real button: the row opens it from the keyboard too.
    h("td", {}, h("button", { type: "button", class: "row-open", "data-open-job": job.id, "aria-pressed": String(job.id === current),
      onclick: (ev) => { ev.stopPropagation(); open(); } }, jobTitle(job)),
    h("div", { class: "muted" }, job.created_by)),
    h("td", {}, targetText(job.target)),
    h("td", {}, jobBadge(job, job.counts?.error || 0), job.message ? h("div", { class: "muted small", "data-code": job.message_code || "" }, jobText(job)) : null),
    h("td", { class: "num" }, `${doneOf(job.counts)}/${job.total}`));
  }

  function mark() {
    for (const tr of body.children) {
      tr.classList.toggle("selected", tr.dataset.job === current);
      tr.querySelector("button.row-open")?.setAttribute("aria-pressed", String(tr.dataset.job === current));
    }
  }

  async function refresh() {
    try {
      const page = await ctx.api.get("jobs", { kind, limit: 20 });
      fill(body, page.items.map(row));
      note.textContent = page.items.length ? "" : t("tech.no_jobs");
    } catch (err) {
      note.textContent = err.describe?.() || String(err);
    }
  }

  refresh();
  return {
    el,
    refresh,
    select(id) { current = id; mark(); },
    /** Another kind of job (endpoint or camera provisioning): the list follows the form's choice. */
    setKind(next) { if (next !== kind) { kind = next; fill(body); refresh(); } },
  };
}
