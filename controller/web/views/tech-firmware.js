/**
 * The "Firmware" tab: compliance per profile (at target, behind, below the
 * minimum, never read), and upgrade campaigns (canary wave, then waves, halting
 * on failures, inside a maintenance window) followed with the same live
 * progress component as provisioning.
 */
import { h, fill } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { unitPicker } from "../lib/unit-picker.js";
import { field, scopePicker, showErrors, clearErrors, clearOnEdit, values, number } from "./tech-forms.js";
import { jobProgress, jobList } from "./tech-jobs.js";
import { confirmBox } from "../lib/dialog.js";
import { profileName } from "./tech-endpoints.js";

const BUCKETS = ["at_target", "below_target", "below_minimum", "unknown"];

function complianceTable(ctx, shared, { onPick }) {
  const unitPick = unitPicker(shared.roots, { id: "fw-compliance-unit", blank: t("tech.all_units"), label: t("tech.unit") });
  const unitSel = unitPick.select;
  const body = h("tbody", {});
  const note = h("p", { class: "muted" });
  unitSel.addEventListener("change", () => load());

  function row(entry) {
    const c = entry.counts;
    const total = BUCKETS.reduce((s, b) => s + (c[b] || 0), 0);
    const cell = (bucket, cls) => {
      const names = (entry.endpoints?.[bucket] || []).map((e) => `${e.name}${e.version ? ` (${e.version})` : ""}`);
      return h("td", { class: `num ${c[bucket] ? cls : ""}`, "data-bucket": bucket, title: names.slice(0, 30).join("\n") }, c[bucket] || 0);
    };
    const name = profileName(shared.profiles, entry.profile);
    return h("tr", { "data-profile": entry.profile, class: entry.upgradable ? "clickable" : "",
      title: entry.upgradable ? t("tech.fw_pick") : t("tech.fw_not_upgradable"),
      onclick: entry.upgradable ? () => onPick(entry) : null },
    // An upgradable profile's name is a button: a campaign is planned from the keyboard too.
    h("td", {}, entry.upgradable
      ? h("button", { type: "button", class: "row-open", "data-pick-profile": entry.profile, title: t("tech.fw_pick"),
        onclick: (ev) => { ev.stopPropagation(); onPick(entry); } }, name)
      : name,
    h("div", { class: "muted" }, entry.profile)),
    h("td", {}, entry.minimum), h("td", {}, entry.target),
    cell("at_target", "good"), cell("below_target", "warn"), cell("below_minimum", "bad"), cell("unknown", "muted"),
    h("td", { class: "num", "data-bucket": "total" }, total));
  }

  async function load() {
    try {
      const report = await ctx.api.get("firmware/compliance", { unit: unitSel.value });
      fill(body, report.map(row));
      note.textContent = report.length ? t("tech.fw_unknown_help") : t("tech.no_endpoints");
    } catch (err) {
      note.textContent = err.describe?.() || String(err);
    }
  }

  load();
  const el = h("section", { class: "panel compliance" },
    h("h2", {}, t("tech.fw_compliance"), h("span", { class: "spacer" }), unitPick.el,
      h("button", { type: "button", onclick: () => load() }, t("tech.refresh"))),
    // Focusable: with no upgradable profile the box holds no control, and the keyboard must scroll it.
    h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": t("tech.fw_compliance") }, h("table", { id: "fw-compliance" },
      h("thead", {}, h("tr", {},
        [t("tech.fw_profile"), t("tech.fw_minimum"), t("tech.fw_target")].map((x) => h("th", {}, x)),
        [t("tech.fw_at_target"), t("tech.fw_below_target"), t("tech.fw_below_minimum"), t("tech.fw_unknown"), t("tech.fw_total")]
          .map((x) => h("th", { class: "num" }, x)))),
      body)),
    note);
  return { el, load };
}

/** The campaign form, shaped like CampaignCreate (controller/schemas.py). */
function campaignForm(ctx, shared, onStarted) {
  const scope = scopePicker(shared, "fw");
  const upgradable = shared.profiles.filter((p) => p.summary.firmware?.upgrade);
  const profile = h("select", { id: "fw-profile", name: "profile" },
    h("option", { value: "" }, t("tech.choose_profile")),
    upgradable.map((p) => h("option", { value: p.id }, `${profileName(shared.profiles, p.id)} (${p.id})`)));
  const version = h("input", { id: "fw-version", name: "version", autocomplete: "off" });
  profile.addEventListener("change", () => {
    const p = shared.profiles.find((x) => x.id === profile.value);
    version.placeholder = p?.summary.firmware?.target ? t("tech.fw_version_default", { v: p.summary.firmware.target }) : "";
  });
  const num = (name, value, attrs = {}) => h("input", { id: `fw-${name}`, name, value: String(value), inputmode: "numeric", ...attrs });
  const policy = h("select", { id: "fw-hostkey_policy", name: "hostkey_policy" },
    h("option", { value: "accept" }, t("tech.fw_policy_accept")), h("option", { value: "hold" }, t("tech.fw_policy_hold")));
  const general = h("p", { class: "error", role: "alert", id: "fw-error" });
  const submit = h("button", { type: "submit", class: "primary", id: "fw-start" }, t("tech.fw_start"));
  const form = h("form", { class: "campaign", id: "fw-form", novalidate: true },
    h("div", { class: "form-grid" },
      field("profile", t("tech.f_profile"), profile),
      field("version", t("tech.fw_version"), version),
      field("canary", t("tech.fw_canary"), num("canary", 3), { hint: t("tech.fw_canary_hint") }),
      field("wave_size", t("tech.fw_wave_size"), num("wave_size", 25)),
      field("max_failure_rate", t("tech.fw_max_failure"), num("max_failure_rate", 20), { hint: t("tech.fw_max_failure_hint") }),
      field("canary_max_failures", t("tech.fw_canary_failures"), num("canary_max_failures", 0)),
      field("window", t("tech.fw_window"), h("input", { id: "fw-window", name: "window", placeholder: "22:00-05:00", autocomplete: "off" }),
        { hint: t("tech.fw_window_hint") }),
      field("hostkey_policy", t("tech.fw_policy"), policy)),
    scope.el, general, h("div", { class: "row" }, submit));
  clearOnEdit(form);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(form, general);
    const data = values(form, ["profile", "version", "canary", "wave_size", "max_failure_rate", "canary_max_failures", "window", "hostkey_policy"]);
    data.profile ??= "";
    for (const name of ["canary", "wave_size", "canary_max_failures"]) if (name in data) data[name] = number(data[name]);
    // Typed as a percentage, sent as the fraction the API takes.
    if ("max_failure_rate" in data) {
      const pct = number(data.max_failure_rate);
      data.max_failure_rate = typeof pct === "number" ? pct / 100 : pct;
    }
    const target = scope.target();
    if (!target) return;
    submit.disabled = true;
    try {
      if (!(await confirmed({ ...data, ...target }))) return;
      const job = await ctx.api.post("firmware/campaigns", { ...data, ...target });
      ctx.toast(t("tech.fw_started"), "ok");
      onStarted(job);
    } catch (err) {
      showErrors(form, err, general, { endpoints: "unit" });
    } finally {
      submit.disabled = false;
    }
  });

  /**
   * Say what the campaign will do before it does it, as the controller counts it (the
   * preview checks the form exactly as a start does: a mistake comes back next to its
   * field, nothing is started): how many endpoints, to which version, in what waves, and
   * that each one reboots.
   */
  async function confirmed(body) {
    const p = await ctx.api.post("firmware/campaigns/preview", body);
    const text = [t("tech.fw_confirm", {
      n: p.endpoints, profile: profileName(shared.profiles, body.profile), version: p.version,
      target: body.endpoints ? t("tech.fw_target_selection", { n: body.endpoints.length }) : body.unit,
      canary: p.canary, wave: body.wave_size ?? 25,
    }), p.already_at ? t("tech.fw_confirm_already", { n: p.already_at }) : "",
    body.window ? t("tech.fw_confirm_window", { window: body.window }) : ""].filter(Boolean).join(" ");
    return confirmBox(text, { ok: t("tech.fw_start_confirmed") });
  }

  const el = h("section", { class: "panel" }, h("h2", {}, t("tech.fw_campaign")), form);
  return {
    el,
    pick(entry) { profile.value = entry.profile; profile.dispatchEvent(new Event("change")); profile.focus(); },
    stop: scope.stop,
  };
}

export function firmwareTab(ctx, shared) {
  const compliance = complianceTable(ctx, shared, { onPick: (entry) => form.pick(entry) });
  const progress = jobProgress(ctx, {
    onUpdate: (job, ended) => { if (ended) { list.refresh(); compliance.load(); } },
    onStarted: (job) => list.refresh().then(() => list.select(job.id)),
  });
  const list = jobList(ctx, { kind: "firmware", onOpen: (job) => progress.open(job) });
  const form = campaignForm(ctx, shared, (job) => {
    progress.open(job);
    list.refresh().then(() => list.select(job.id));
  });
  const el = h("div", { class: "tech-firmware" },
    compliance.el,
    h("div", { class: "tech-jobs-layout" }, h("div", { class: "side" }, form.el, list.el), progress.el));
  return { el, reload: compliance.load, stop() { progress.stop(); form.stop(); } };
}
