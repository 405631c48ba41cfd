/**
 * The IOC's alarm list: active alarms by severity with totals, filters, and
 * acknowledgement (with a comment) for the roles the API lets acknowledge.
 */
import { h, fill, when } from "../lib/dom.js";
import { language } from "../lib/i18n.js";
import { coalesce } from "../lib/sse.js";
import { SEVERITIES, alarmName, severityName } from "../lib/vocabulary.js";
import { alarmText } from "../lib/alarm-text.js";
import { describe } from "../lib/format.js";
import "./ioc-i18n.js";

const ACK_ROLES = ["admin", "technician", "ioc_operator"]; // POST /alarms/{id}/ack (controller/health/api.py)

export function alarmPanel(ctx, { unitCodeById, onUnit }) {
  const { api, t } = ctx;
  const lang = language();
  const held = [ctx.user.role, ...(ctx.user.grants || []).map((g) => g.role)];
  const canAck = held.some((r) => ACK_ROLES.includes(r));
  // Who may acknowledge, said once for those who may not (their buttons are there, disabled).
  const noAck = canAck ? null : h("p", { class: "muted ack-why", id: "ioc-ack-why" }, t("ioc.ack_needs_role"));
  let unit = null; // {code, name} or null: the whole province
  let known = null; // alarm ids of the previous load: new ones are highlighted
  const rows = new Map(); // alarm id → row

  const totals = h("span", { class: "sev-totals", id: "ioc-alarm-totals" });
  const scope = h("span", { class: "muted scope" });
  const severity = h("select", { id: "ioc-severity", "aria-label": t("ioc.severity"), onchange: () => refresh() },
    h("option", { value: "" }, t("ioc.severity_all")),
    SEVERITIES.map((s) => h("option", { value: s }, severityName(s))));
  const acked = h("select", { id: "ioc-acked", "aria-label": t("ioc.ack_filter_all"), onchange: () => refresh() },
    h("option", { value: "" }, t("ioc.ack_filter_all")),
    h("option", { value: "false" }, t("ioc.ack_filter_no")),
    h("option", { value: "true" }, t("ioc.ack_filter_yes")));
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const shown = h("p", { class: "muted shown", hidden: true });
  const list = h("ul", { class: "alarm-list", id: "ioc-alarms" });
  const empty = h("p", { class: "muted empty", hidden: true }, t("ioc.no_alarms"));
  const el = h("section", { class: "panel alarms", id: "ioc-alarm-panel" },
    h("h2", {}, t("ioc.alarms"), totals, scope),
    h("div", { class: "row filters" }, severity, acked),
    noAck, error, h("div", { class: "scroll" }, list, empty), shown);

  function entityLink(a) {
    if (a.entity_type === "endpoint" || a.entity_type === "camera") {
      return h("a", { class: "entity", href: `#/${a.entity_type}/${a.entity_id}` }, a.entity_name);
    }
    const code = unitCodeById.get(a.entity_id);
    return code ? h("a", { class: "entity", href: "#/ioc", onclick: (ev) => { ev.preventDefault(); onUnit(code); } }, a.entity_name)
      : h("span", { class: "entity" }, a.entity_name);
  }

  function ackForm(a, row) {
    const comment = h("input", { name: "comment", required: true, maxlength: 1000, "aria-label": t("ioc.ack_comment"),
      placeholder: t("ioc.ack_placeholder") });
    const problem = h("p", { class: "error", role: "alert" });
    const send = h("button", { type: "submit", class: "primary" }, t("ioc.ack_send"));
    const form = h("form", { class: "ack-form",
      onsubmit: async (ev) => {
        ev.preventDefault();
        problem.textContent = "";
        send.disabled = true;
        try {
          await api.post(`alarms/${a.id}/ack`, { comment: comment.value.trim() });
          ctx.toast(t("ioc.ack_done", { name: a.entity_name }), "ok");
          row.closeForm();
          schedule();
        } catch (err) {
          problem.textContent = describe(err);
          comment.focus();
        } finally {
          send.disabled = false;
        }
      } },
    comment, send, h("button", { type: "button", onclick: () => row.closeForm() }, t("ioc.cancel")), problem);
    setTimeout(() => comment.focus());
    return form;
  }

  /** One alarm as a card; update() rewrites its text but keeps an open acknowledgement form. */
  function makeRow(a) {
    const el = h("li", { class: "alarm", "data-alarm-id": a.id });
    const head = h("div", { class: "head" });
    const body = h("div", { class: "body" });
    const foot = h("div", { class: "foot" });
    const formSlot = h("div", { class: "form-slot" });
    el.append(head, body, foot, formSlot);
    const row = {
      el,
      form: null,
      update(alarm) {
        a = alarm;
        el.dataset.severity = a.severity;
        el.dataset.entityId = a.entity_id;
        el.dataset.acknowledged = a.acknowledged_at ? "true" : "false";
        el.classList.toggle("acked", Boolean(a.acknowledged_at));
        fill(head, h("span", { class: `badge s-${a.severity}`, "data-severity": a.severity }, severityName(a.severity)),
          entityLink(a),
          a.count > 1 ? h("span", { class: "count muted", title: t("ioc.times", { n: a.count }) }, `×${a.count}`) : null,
          h("time", { class: "muted", datetime: a.raised_at, title: t("ioc.raised", { time: when(a.raised_at, lang) }) }, when(a.raised_at, lang)));
        fill(body, h("strong", {}, alarmName(a.kind)), " ", h("span", { class: "muted message", "data-code": a.code }, alarmText(a)));
        const ackLine = a.acknowledged_at
          ? h("span", { class: "acked-by" }, t("ioc.acked_by", { who: a.acknowledged_by, time: when(a.acknowledged_at, lang) }),
            a.ack_comment ? h("span", { class: "muted" }, ` — ${a.ack_comment}`) : null)
          : null;
        const button = a.acknowledged_at || row.form ? null : canAck
          ? h("button", { type: "button", class: "ack", onclick: () => row.openForm() }, t("ioc.ack"))
          : h("button", { type: "button", class: "ack", disabled: true, title: t("ioc.ack_needs_role"), "aria-describedby": "ioc-ack-why" }, t("ioc.ack"));
        fill(foot, ackLine, button);
        if (a.acknowledged_at && row.form) row.closeForm();
      },
      openForm() { row.form = ackForm(a, row); fill(formSlot, row.form); row.update(a); },
      closeForm() { row.form = null; formSlot.replaceChildren(); row.update(a); },
    };
    row.update(a);
    return row;
  }

  /** Put the rows in order, moving only what must move (a focused note field keeps its focus). */
  function reconcile(alarms) {
    const wanted = alarms.map((a) => {
      let row = rows.get(a.id);
      if (!row) {
        row = makeRow(a);
        rows.set(a.id, row);
        if (known && !known.has(a.id)) {
          row.el.classList.add("fresh");
          setTimeout(() => row.el.classList.remove("fresh"), 10000);
        }
      } else row.update(a);
      return row.el;
    });
    const ids = new Set(alarms.map((a) => a.id));
    for (const [id, row] of rows) if (!ids.has(id)) { row.el.remove(); rows.delete(id); }
    wanted.forEach((node, i) => { if (list.children[i] !== node) list.insertBefore(node, list.children[i] || null); });
    known = ids;
  }

  let seq = 0;
  async function refresh() {
    const mine = ++seq;
    const base = { status: "active", unit: unit?.code };
    try {
      const [page, ...bySeverity] = await Promise.all([
        api.get("alarms", { ...base, severity: severity.value, acknowledged: acked.value, limit: 200 }),
        ...SEVERITIES.map((s) => api.get("alarms", { ...base, severity: s, limit: 1 })),
      ]);
      if (mine !== seq) return; // a newer read (another unit or filter) is on its way
      reconcile(page.items);
      empty.hidden = page.items.length > 0;
      shown.hidden = page.total <= page.items.length;
      shown.textContent = t("ioc.shown", { n: page.items.length, total: page.total });
      fill(totals, SEVERITIES.map((s, i) => (bySeverity[i].total
        ? h("span", { class: `badge s-${s}`, "data-severity": s, "data-count": bySeverity[i].total, title: severityName(s) },
          `${bySeverity[i].total} ${severityName(s)}`) : null)));
      error.hidden = true;
    } catch (err) {
      if (mine !== seq) return;
      error.textContent = t("ioc.alarms_failed", { detail: describe(err) });
      error.hidden = false;
    }
  }
  const schedule = coalesce(refresh, 300);

  return {
    el,
    refresh,
    schedule,
    setUnit(u) {
      unit = u;
      scope.textContent = u ? u.name : "";
      known = null; // a different list: nothing in it is "new"
      refresh();
    },
    stop() { schedule.cancel(); },
  };
}
