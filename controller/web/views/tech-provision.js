/**
 * The "Cấu hình" tab: plan the province's standard configuration on a scope
 * (read and diff, nothing written), look at the planned changes, then apply
 * exactly that plan's scope. Endpoints (over SSH) or cameras (over ONVIF, the
 * stream standard): both follow the same live progress component and job list.
 */
import { h } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { scopePicker, showErrors, clearErrors } from "./tech-forms.js";
import { jobProgress, jobList, targetText } from "./tech-jobs.js";
import { confirmBox } from "../lib/dialog.js";

/** What can be provisioned: the API path and job kind of each. */
const WHAT = {
  endpoints: { path: "provisioning/jobs", kind: "provision", help: "tech.plan_help", apply: "tech.apply_n" },
  cameras: { path: "provisioning/cameras", kind: "camera_provision", help: "tech.plan_help_cameras", apply: "tech.apply_n_cameras" },
};
const BY_KIND = Object.fromEntries(Object.entries(WHAT).map(([what, w]) => [w.kind, what]));

/** The "Điểm cầu" / "Camera (ONVIF)" radio pair. */
function whatPicker(onChange) {
  const radios = Object.keys(WHAT).map((what) => h("input", {
    type: "radio", name: "prov-what", value: what, id: `prov-what-${what}`, checked: what === "endpoints",
    onchange: () => onChange(what),
  }));
  const el = h("fieldset", { class: "field scope what" },
    h("legend", {}, t("tech.prov_what")),
    h("div", { class: "row" }, radios.map((r) => h("label", { class: "choice" }, r, t(`tech.prov_what_${r.value}`)))));
  return { el, get value() { return radios.find((r) => r.checked).value; } };
}

export function provisionTab(ctx, shared) {
  const scope = scopePicker(shared, "prov");
  const unitSelect = scope.el.querySelector("select");
  const general = h("p", { class: "error", role: "alert", id: "prov-error" });
  const help = h("p", { class: "muted", id: "prov-help" }, t("tech.plan_help"));
  const what = whatPicker(choose);
  const planBtn = h("button", { type: "submit", class: "primary", id: "prov-plan" }, t("tech.plan"));
  const form = h("form", { class: "provision", id: "prov-form", novalidate: true, "data-what": "endpoints" },
    what.el, help, scope.el, general, h("div", { class: "row" }, planBtn));

  // Apply is offered on a finished plan and applies that plan's own target: what was
  // reviewed is what gets written (the apply re-reads each device before writing).
  const applyBtn = h("button", { type: "button", class: "primary", id: "prov-apply", hidden: true }, t("tech.apply"));
  const progress = jobProgress(ctx, {
    actions: [applyBtn],
    onStarted: (job) => list.refresh().then(() => list.select(job.id)),
    onUpdate: (job, ended) => {
      const w = WHAT[BY_KIND[job?.kind]];
      applyBtn.hidden = !(w && job.mode === "plan" && job.status === "done");
      if (!applyBtn.hidden) applyBtn.textContent = t(w.apply, { n: job.total });
      if (ended) list.refresh();
    },
  });
  const list = jobList(ctx, { kind: "provision", onOpen: (job) => progress.open(job) });

  /**
   * Cameras are scoped by unit only (the endpoint selection of the other tab means
   * nothing for them), so switching to cameras falls back to the unit choice.
   */
  function choose(next) {
    form.dataset.what = next;
    help.textContent = t(WHAT[next].help);
    if (next === "cameras") scope.setUnit(unitSelect.value);
    clearErrors(form, general);
    list.setKind(WHAT[next].kind);
  }

  function target() {
    if (what.value === "endpoints") return scope.target();
    if (unitSelect.value) return { unit: unitSelect.value };
    scope.el.classList.add("invalid");
    scope.el.querySelector(".field-error").textContent = t("tech.scope_required_cameras");
    return null;
  }

  async function start(path, body, button) {
    button.disabled = true;
    try {
      const job = await ctx.api.post(path, body);
      clearErrors(form, general);
      progress.open(job);
      list.refresh().then(() => list.select(job.id));
    } catch (err) {
      showErrors(form, err, general, { endpoints: "unit", cameras: "unit" });
      if (button === applyBtn) ctx.toast(err.describe?.() || String(err), "error");
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearErrors(form, general);
    const body = target();
    if (body) start(WHAT[what.value].path, { mode: "plan", ...body }, planBtn);
  });

  /** What an apply of the plan shown will write, said before anything is: how many
   * changes on how many devices, which settings, and how many are already right. */
  function applyQuestion(job) {
    const items = progress.items();
    const changing = items.filter((i) => (i.plan || []).some((p) => p.action === "set"));
    const keys = new Map();
    for (const i of changing) for (const p of i.plan) if (p.action === "set") keys.set(p.key, (keys.get(p.key) || 0) + 1);
    if (!changing.length) return null;
    return t("tech.apply_confirm", {
      changes: [...keys.values()].reduce((a, b) => a + b, 0), devices: changing.length, target: targetText(job.target),
      keys: [...keys].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join(", "),
      same: items.filter((i) => i.status === "unchanged" || !(i.plan || []).some((p) => p.action === "set")).length,
    });
  }

  // The plan shown decides what is applied, whatever the form says now.
  applyBtn.addEventListener("click", async () => {
    const job = progress.job;
    const w = WHAT[BY_KIND[job?.kind]];
    if (!w) return;
    const question = applyQuestion(job);
    if (!question) { ctx.toast(t("tech.apply_nothing"), "ok"); return; }
    if (!(await confirmBox(question, { ok: applyBtn.textContent }))) return;
    const { unit, endpoints, cameras, profile } = job.target || {};
    const fields = w.kind === "provision" ? { unit, endpoints, profile } : { unit, cameras };
    const body = Object.fromEntries(Object.entries(fields)
      .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && !v.length)));
    start(w.path, { mode: "apply", ...body }, applyBtn);
  });

  const el = h("div", { class: "tech-jobs-layout" },
    h("div", { class: "side" },
      h("section", { class: "panel" }, h("h2", {}, t("tech.provision_title")), form),
      list.el),
    progress.el);
  return {
    el,
    stop() { progress.stop(); scope.stop(); },
  };
}
