/**
 * An endpoint's management, on its details page, for those who may change it (technician,
 * admin): a connection test that reads model and firmware, the SSH key awaiting approval
 * with both fingerprints, edit (the device password asked again when the address moves:
 * the controller refuses to send the old one to a new address), delete after a
 * confirmation that names what goes with it.
 */
import { h, fill, useStyle } from "../lib/dom.js";
import { t, register } from "../lib/i18n.js";
import { failureText } from "../lib/failure-text.js";
import { unitPicker } from "../lib/unit-picker.js";
import { confirmBox } from "../lib/dialog.js";
import { field, showErrors, clearErrors, clearOnEdit, number } from "./tech-forms.js";
import { jobProgress } from "./tech-jobs.js";
import "./tech-i18n.js";

register({
  vi: {
    "manage.title": "Quản lý điểm cầu",
    "manage.probe": "Kiểm tra kết nối",
    "manage.probing": "Đang kiểm tra…",
    "manage.probe_ok": "Kết nối được: {model}, phần mềm {firmware}",
    "manage.probe_learned": "Đã ghi nhận khóa SSH của thiết bị.",
    "manage.probe_failed": "Không kết nối được: {why}",
    "manage.edit": "Sửa",
    "manage.delete": "Xóa",
    "manage.delete_confirm": "Xóa điểm cầu {name}? Lịch sử sức khỏe và cảnh báo của nó cũng bị xóa; các phiên họp đã qua vẫn giữ tên trong điểm danh.",
    "manage.deleted": "Đã xóa điểm cầu {name}",
    "manage.key": "Khóa SSH đã ghim",
    "manage.key_none": "chưa có",
    "manage.key_pending": "Khóa SSH mới chờ duyệt",
    "manage.approve": "Duyệt khóa SSH",
    "manage.approve_confirm": "Ghim khóa mới {new} cho {name} (thay khóa {old})? Chỉ duyệt khi đã đối chiếu với khóa hiển thị trên chính thiết bị.",
    "manage.approved": "Đã duyệt khóa SSH mới cho {name}",
    "manage.username": "Tài khoản thiết bị",
    "manage.edit_title": "Sửa điểm cầu {name}",
    "manage.save": "Lưu",
    "manage.cancel": "Hủy",
    "manage.saved": "Đã lưu {name}",
    "manage.no_change": "Không có gì thay đổi",
    "manage.password": "Mật khẩu thiết bị",
    "manage.password_hint": "Để trống nếu không đổi; bắt buộc khi đổi địa chỉ hoặc cổng",
    "manage.password_needed": "Địa chỉ thay đổi: nhập lại mật khẩu của thiết bị ở địa chỉ mới",
    "manage.name": "Tên",
    "manage.unit": "Đơn vị",
    "manage.host": "Địa chỉ",
    "manage.port": "Cổng SSH",
    "manage.profile": "Loại thiết bị",
    "manage.sip_uri": "SIP URI",
    "manage.description": "Ghi chú",
    "manage.provision": "Cấu hình điểm cầu này",
    "manage.provision_help": "Đọc cấu hình trên thiết bị và so với tiêu chuẩn của tỉnh; chưa ghi gì cho đến khi bấm Áp dụng.",
    "manage.apply": "Áp dụng {n} thay đổi",
    "manage.apply_confirm": "Ghi {n} thay đổi lên {name}: {keys}?",
    "manage.nothing_to_apply": "Thiết bị đã đúng tiêu chuẩn: không có gì để ghi.",
  },
  en: {
    "manage.title": "Manage the endpoint",
    "manage.probe": "Test the connection",
    "manage.probing": "Testing…",
    "manage.probe_ok": "Reachable: {model}, firmware {firmware}",
    "manage.probe_learned": "The device's SSH key was pinned.",
    "manage.probe_failed": "Not reachable: {why}",
    "manage.edit": "Edit",
    "manage.delete": "Delete",
    "manage.delete_confirm": "Delete the endpoint {name}? Its health history and alarms go too; past sessions keep its name in their attendance.",
    "manage.deleted": "Endpoint {name} deleted",
    "manage.key": "Pinned SSH key",
    "manage.key_none": "none yet",
    "manage.key_pending": "New SSH key awaiting approval",
    "manage.approve": "Approve the SSH key",
    "manage.approve_confirm": "Pin the new key {new} for {name} (replacing {old})? Approve only after comparing it with the key the device itself shows.",
    "manage.approved": "New SSH key approved for {name}",
    "manage.username": "Device account",
    "manage.edit_title": "Edit {name}",
    "manage.save": "Save",
    "manage.cancel": "Cancel",
    "manage.saved": "{name} saved",
    "manage.no_change": "Nothing changed",
    "manage.password": "Device password",
    "manage.password_hint": "Leave empty to keep it; needed when the address or port changes",
    "manage.password_needed": "The address changed: type the password of the device at the new address",
    "manage.name": "Name",
    "manage.unit": "Unit",
    "manage.host": "Address",
    "manage.port": "SSH port",
    "manage.profile": "Device type",
    "manage.sip_uri": "SIP URI",
    "manage.description": "Notes",
    "manage.provision": "Configure this endpoint",
    "manage.provision_help": "Reads the device's configuration and compares it with the province's standard; nothing is written until Apply.",
    "manage.apply": "Apply {n} changes",
    "manage.apply_confirm": "Write {n} changes to {name}: {keys}?",
    "manage.nothing_to_apply": "The device already meets the standard: nothing to write.",
  },
});

/** The roles that may change an endpoint (PATCH/DELETE/probe/approve: controller/fleet/api.py). */
const MANAGERS = ["admin", "technician"];

export function canManage(user) {
  return [user.role, ...(user.grants || []).map((g) => g.role)].some((r) => MANAGERS.includes(r));
}

/** ``onChanged(ep)``: the endpoint as the API has it now (the page re-draws its head). */
export function managePanel(ctx, initial, { onChanged }) {
  const { api } = ctx;
  let ep = initial;
  const result = h("p", { class: "probe-result", id: "details-probe-result", "aria-live": "polite", hidden: true });
  const keys = h("dl", { class: "facts" });
  const probeBtn = h("button", { type: "button", id: "details-probe", onclick: () => probe() }, t("manage.probe"));
  const approveBtn = h("button", { type: "button", class: "primary", id: "details-approve", onclick: () => approve() }, t("manage.approve"));
  const provisionBtn = h("button", { type: "button", id: "details-provision", title: t("manage.provision_help"), onclick: () => plan() }, t("manage.provision"));
  // The technician's job panel, as on the "Cấu hình" tab: the plan, then what was written.
  const applyBtn = h("button", { type: "button", class: "primary", id: "details-apply", hidden: true, onclick: () => apply() });
  let planned = []; // the plan's "set" lines, once the plan is done
  const progress = jobProgress(ctx, { actions: [applyBtn], onUpdate: (job, ended) => { if (ended) planDone(job); } });
  progress.el.hidden = true;
  progress.el.id = "details-job";
  const el = h("section", { class: "panel manage", id: "details-manage" },
    h("h2", {}, t("manage.title")), keys,
    h("div", { class: "row actions" }, probeBtn, provisionBtn, approveBtn,
      h("button", { type: "button", id: "details-edit", onclick: () => edit() }, t("manage.edit")),
      h("button", { type: "button", class: "danger", id: "details-delete", onclick: () => remove() }, t("manage.delete"))),
    result, progress.el);
  useStyle("views/tech.css"); // the job panel's look

  function render() {
    fill(keys,
      h("dt", {}, t("manage.username")), h("dd", {}, ep.username),
      h("dt", {}, t("manage.key")), h("dd", {}, h("code", { id: "details-key" }, ep.host_key_fingerprint || t("manage.key_none")),
        ep.host_key_source ? h("span", { class: "muted" }, ` (${ep.host_key_source})`) : null),
      ep.host_key_pending ? [h("dt", {}, t("manage.key_pending")),
        h("dd", {}, h("code", { id: "details-pending-key" }, ep.pending_host_key_fingerprint))] : null);
    approveBtn.hidden = !ep.host_key_pending;
  }

  function say(text, ok) {
    result.hidden = false;
    result.className = `probe-result ${ok ? "ok" : "error"}`;
    result.textContent = text;
  }

  async function probe() {
    probeBtn.disabled = true;
    probeBtn.textContent = t("manage.probing");
    try {
      const r = await api.post(`endpoints/${ep.id}/probe`);
      if (r.reachable) {
        say([t("manage.probe_ok", { model: r.model || "—", firmware: r.firmware_version || "—" }),
          r.host_key_learned ? t("manage.probe_learned") : ""].filter(Boolean).join(" "), true);
      } else {
        say(t("manage.probe_failed", { why: failureText(r.error_type, {}) || r.error }), false);
      }
      result.dataset.reachable = String(r.reachable);
      await reload();
    } catch (err) {
      say(err.describe ? err.describe() : String(err), false);
    } finally {
      probeBtn.disabled = false;
      probeBtn.textContent = t("manage.probe");
    }
  }

  async function plan() {
    provisionBtn.disabled = true;
    applyBtn.hidden = true;
    try {
      const job = await api.post("provisioning/jobs", { endpoints: [ep.id], mode: "plan" });
      progress.el.hidden = false;
      progress.open(job);
    } catch (err) {
      say(err.describe ? err.describe() : String(err), false);
    } finally {
      provisionBtn.disabled = false;
    }
  }

  /** A finished plan offers its changes to apply, counted and named; an apply re-reads the device. */
  async function planDone(job) {
    if (job.mode !== "plan" || job.status !== "done") { applyBtn.hidden = true; return; }
    const items = await api.get(`jobs/${job.id}/items`);
    planned = items.flatMap((i) => (i.plan || []).filter((p) => p.action === "set"));
    applyBtn.hidden = !planned.length;
    applyBtn.textContent = t("manage.apply", { n: planned.length });
    if (!planned.length) say(t("manage.nothing_to_apply"), true);
  }

  async function apply() {
    const shown = (v) => (v === null || v === undefined || v === "" ? "∅" : v);
    const keys = planned.map((p) => `${p.key} (${shown(p.current)} → ${shown(p.desired)})`).join(", ");
    if (!(await confirmBox(t("manage.apply_confirm", { n: planned.length, name: ep.name, keys }), { ok: t("manage.apply", { n: planned.length }) }))) return;
    applyBtn.hidden = true;
    try {
      progress.open(await api.post("provisioning/jobs", { endpoints: [ep.id], mode: "apply" }));
    } catch (err) {
      say(err.describe ? err.describe() : String(err), false);
    }
  }

  async function approve() {
    const question = t("manage.approve_confirm", { name: ep.name, new: ep.pending_host_key_fingerprint, old: ep.host_key_fingerprint || t("manage.key_none") });
    if (!(await confirmBox(question, { ok: t("manage.approve") }))) return;
    try {
      ep = await api.post(`endpoints/${ep.id}/host-key/approve`);
      ctx.toast(t("manage.approved", { name: ep.name }), "ok");
      render();
      onChanged(ep);
    } catch (err) {
      ctx.toast(err.describe ? err.describe() : String(err), "error");
    }
  }

  async function remove() {
    if (!(await confirmBox(t("manage.delete_confirm", { name: ep.name }), { ok: t("manage.delete"), danger: true }))) return;
    try {
      await api.del(`endpoints/${ep.id}`);
      ctx.toast(t("manage.deleted", { name: ep.name }), "ok");
      ctx.go(`list/endpoints?unit=${encodeURIComponent(ep.unit.code)}`);
    } catch (err) {
      ctx.toast(err.describe ? err.describe() : String(err), "error");
    }
  }

  async function reload() {
    ep = await api.get(`endpoints/${ep.id}`);
    render();
    onChanged(ep);
  }

  async function edit() {
    const [roots, profiles] = await Promise.all([api.get("units/tree"), api.get("profiles")]);
    const input = (name, attrs = {}) => h("input", { name, value: ep[name] ?? "", autocomplete: "off", ...attrs });
    // Typed and picked; the code is the picker's hidden <select name=unit> (form.elements.unit).
    const unit = unitPicker(roots, { id: "details-edit-unit", name: "unit", value: ep.unit.code, label: t("manage.unit") });
    const profile = h("select", { name: "profile" }, profiles.map((p) => h("option", { value: p.id, selected: p.id === ep.profile }, p.id)));
    const general = h("p", { class: "error", role: "alert" });
    const form = h("form", { class: "edit-form", id: "details-edit-form", novalidate: true },
      field("name", t("manage.name"), input("name", { maxlength: 128 })),
      field("unit", t("manage.unit"), unit.el),
      field("host", t("manage.host"), input("host", { maxlength: 255 })),
      field("port", t("manage.port"), input("port", { inputmode: "numeric" })),
      field("username", t("manage.username"), input("username", { maxlength: 64 })),
      field("password", t("manage.password"), h("input", { name: "password", type: "password", autocomplete: "new-password" }),
        { hint: t("manage.password_hint") }),
      field("profile", t("manage.profile"), profile),
      field("sip_uri", t("manage.sip_uri"), input("sip_uri")),
      field("description", t("manage.description"), input("description"), { wide: true }),
      general,
      h("div", { class: "row actions" },
        h("button", { type: "button", "data-confirm": "cancel", onclick: () => dlg.close() }, t("manage.cancel")),
        h("button", { type: "submit", class: "primary", id: "details-save" }, t("manage.save"))));
    const dlg = h("dialog", { class: "host-dialog wide", id: "details-edit-dialog", "aria-labelledby": "details-edit-title" },
      h("h2", { id: "details-edit-title" }, t("manage.edit_title", { name: ep.name })), form);
    clearOnEdit(form);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      clearErrors(form, general);
      const body = changes(form);
      if (!Object.keys(body).length) { general.textContent = t("manage.no_change"); return; }
      const moved = "host" in body || "port" in body;
      if (moved && !("password" in body)) {
        showErrors(form, { errors: [{ location: "body.password", reason: t("manage.password_needed") }] }, general);
        return;
      }
      try {
        ep = await api.patch(`endpoints/${ep.id}`, body);
        ctx.toast(t("manage.saved", { name: ep.name }), "ok");
        dlg.close();
        render();
        onChanged(ep);
      } catch (err) {
        showErrors(form, err, general);
      }
    });
    dlg.addEventListener("close", () => dlg.remove());
    document.body.append(dlg);
    dlg.showModal();
    form.elements.name.focus();
  }

  /** Only what was changed goes to the API (a PATCH): the password only when typed. */
  function changes(form) {
    const out = {};
    for (const name of ["name", "unit", "host", "port", "username", "profile", "sip_uri", "description"]) {
      const value = form.elements[name].value.trim();
      const now = name === "unit" ? ep.unit.code : ep[name] ?? "";
      if (value !== String(now)) out[name] = name === "port" ? number(value) : value === "" ? null : value;
    }
    if (form.elements.password.value) out.password = form.elements.password.value;
    return out;
  }

  render();
  return { el, stop: () => progress.stop() };
}
