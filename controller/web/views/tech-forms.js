/**
 * Form pieces the technician view shares: a labelled field with a slot for the
 * API's complaint about it, the code that routes a problem+json to those slots,
 * and the scope picker (a unit's subtree, or the endpoints ticked in the list)
 * used by provisioning and firmware campaigns.
 */
import { h } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { rowErrorText } from "../lib/row-errors.js";
import { unitPicker } from "../lib/unit-picker.js";

/** <label> with the input and an error slot found by `data-error-for`. */
export function field(name, label, input, { hint = null, wide = false } = {}) {
  if ("name" in input && !input.name) input.name = name; // a unit picker (a <div>) names its own value
  return h("label", { class: `field${wide ? " wide" : ""}`, "data-field": name },
    h("span", { class: "label" }, label),
    input,
    hint ? h("small", { class: "muted hint" }, hint) : null,
    h("small", { class: "error field-error", "data-error-for": name, role: "alert" }));
}

/** Which field an API error is about: "body.host" → "host", "body.endpoints.3" → "endpoints". */
export function errorField(location) {
  const parts = String(location ?? "").split(".");
  if (["body", "query", "path"].includes(parts[0])) parts.shift();
  return parts[0] || "";
}

/** Pydantic prefixes its own messages with "Value error, "; the technician needs only the rest. */
function tidy(reason) {
  return String(reason ?? "").replace(/^Value error, /, "");
}

export function clearErrors(form, general) {
  for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
  for (const f of form.querySelectorAll(".field.invalid")) f.classList.remove("invalid");
  if (general) general.textContent = "";
}

/**
 * Put each complaint of a failed request next to the field it names (a 422's
 * `errors[].location`, or a domain error's `field`); whatever names no field of
 * this form goes to `general`, so nothing the API said is dropped. What the
 * technician typed stays as it was.
 */
export function showErrors(form, err, general, aliases = {}) {
  clearErrors(form, general);
  const problem = err?.problem || {};
  const list = err?.errors?.length
    ? err.errors.map((e) => [errorField(e.location ?? e.field), e.code ? rowErrorText(e) : tidy(e.reason)])
    : [[problem.field || "", problem.detail || err?.message || String(err)]];
  const unplaced = [];
  let first = null;
  for (const [raw, message] of list) {
    const name = aliases[raw] || raw;
    const slot = name ? form.querySelector(`[data-error-for="${CSS.escape(name)}"]`) : null;
    if (!slot) { unplaced.push(raw ? `${raw}: ${message}` : message); continue; }
    slot.textContent = slot.textContent ? `${slot.textContent}; ${message}` : message;
    const box = slot.closest(".field");
    box?.classList.add("invalid");
    first ||= box?.querySelector("input, select, textarea");
  }
  if (general) general.textContent = unplaced.join("; ");
  first?.focus();
}

/** Editing a field clears its own complaint (the others stay until the next try). */
export function clearOnEdit(form) {
  form.addEventListener("input", (ev) => {
    const box = ev.target.closest(".field");
    if (!box) return;
    box.classList.remove("invalid");
    const slot = box.querySelector(".field-error");
    if (slot) slot.textContent = "";
  });
}

/** Trimmed values of the named inputs, without the empty optional ones. */
export function values(form, names) {
  const out = {};
  for (const name of names) {
    const input = form.elements[name];
    if (!input) continue;
    const value = input.type === "password" ? input.value : input.value.trim();
    if (value !== "") out[name] = value;
  }
  return out;
}

/** "22" → 22; anything else goes as typed so the API names the problem. */
export function number(text) {
  return /^-?\d+(\.\d+)?$/.test(String(text ?? "").trim()) ? Number(text) : text;
}

/**
 * Where a job runs: one unit's whole subtree, or the endpoints ticked in the
 * endpoint list (`shared.selection`). Its error slot takes the API's complaints
 * about `unit` and `endpoints` ("the target selects no endpoints").
 */
export function scopePicker(shared, prefix) {
  // The unit's code is in the picker's hidden <select name=unit id=<prefix>-unit> (the one
  // `scope.el.querySelector("select")` finds); the technician types into #<prefix>-unit-input.
  const picker = unitPicker(shared.roots, { id: `${prefix}-unit`, name: "unit", blank: t("tech.choose_unit"), label: t("tech.unit") });
  const unitSelect = picker.select;
  unitSelect.dataset.scopeUnit = "";
  const byUnit = h("input", { type: "radio", name: `${prefix}-scope`, value: "unit", checked: true });
  const bySelection = h("input", { type: "radio", name: `${prefix}-scope`, value: "selection" });
  const count = h("span", { class: "selection-count" });
  const refresh = () => {
    const n = shared.selection.size;
    count.textContent = t("tech.scope_selected", { n });
    bySelection.disabled = n === 0;
    if (n === 0 && bySelection.checked) byUnit.checked = true;
  };
  refresh();
  const off = shared.onSelection(refresh);
  unitSelect.addEventListener("change", () => { byUnit.checked = true; });
  const el = h("fieldset", { class: "field scope", "data-field": "unit" },
    h("legend", {}, t("tech.scope")),
    h("label", { class: "choice" }, byUnit, t("tech.scope_unit"), picker.el),
    h("label", { class: "choice" }, bySelection, count),
    h("small", { class: "error field-error", "data-error-for": "unit", role: "alert" }));
  return {
    el,
    /**
     * The JobTarget part of a request body, or null (and a note in the slot) when
     * nothing is chosen: an empty scope must never widen to "every endpoint".
     */
    target() {
      if (bySelection.checked) return { endpoints: [...shared.selection.keys()] };
      if (unitSelect.value) return { unit: unitSelect.value };
      el.classList.add("invalid");
      el.querySelector(".field-error").textContent = t("tech.scope_required");
      return null;
    },
    setUnit(code) { picker.value = code; byUnit.checked = true; },
    useSelection() { if (!bySelection.disabled) bySelection.checked = true; },
    stop: off,
  };
}
