/**
 * The "Cấu hình" tab: plan the province's standard configuration on a scope
 * (read and diff, nothing written), look at the planned changes, then apply
 * exactly that plan's scope. Both follow the same live progress component.
 */
import { h } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { scopePicker, showErrors, clearErrors } from "./tech-forms.js";
import { jobProgress, jobList } from "./tech-jobs.js";

export function provisionTab(ctx, shared) {
  const scope = scopePicker(shared, "prov");
  const general = h("p", { class: "error", role: "alert", id: "prov-error" });
  const planBtn = h("button", { type: "submit", class: "primary", id: "prov-plan" }, t("tech.plan"));
  const form = h("form", { class: "provision", id: "prov-form", novalidate: true },
    h("p", { class: "muted" }, t("tech.plan_help")), scope.el, general, h("div", { class: "row" }, planBtn));

  // Apply is offered on a finished plan and applies that plan's own target: what was
  // reviewed is what gets written (the apply re-reads each device before writing).
  const applyBtn = h("button", { type: "button", class: "primary", id: "prov-apply", hidden: true }, t("tech.apply"));
  const progress = jobProgress(ctx, {
    actions: [applyBtn],
    onUpdate: (job, ended) => {
      applyBtn.hidden = !(job?.kind === "provision" && job.mode === "plan" && job.status === "done");
      if (job && applyBtn.hidden === false) applyBtn.textContent = t("tech.apply_n", { n: job.total });
      if (ended) list.refresh();
    },
  });
  const list = jobList(ctx, { kind: "provision", onOpen: (job) => progress.open(job) });

  async function start(body, button) {
    button.disabled = true;
    try {
      const job = await ctx.api.post("provisioning/jobs", body);
      clearErrors(form, general);
      progress.open(job);
      list.refresh().then(() => list.select(job.id));
    } catch (err) {
      showErrors(form, err, general, { endpoints: "unit" });
      if (button === applyBtn) ctx.toast(err.describe?.() || String(err), "error");
    } finally {
      button.disabled = false;
    }
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    clearErrors(form, general);
    const target = scope.target();
    if (target) start({ mode: "plan", ...target }, planBtn);
  });

  applyBtn.addEventListener("click", () => {
    const { unit, endpoints, profile } = progress.job.target || {};
    const target = Object.fromEntries(Object.entries({ unit, endpoints, profile })
      .filter(([, v]) => v !== null && v !== undefined && !(Array.isArray(v) && !v.length)));
    start({ mode: "apply", ...target }, applyBtn);
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
