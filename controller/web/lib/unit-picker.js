/**
 * One unit out of the province's tree (~220 units), picked by typing: a combobox
 * whose list shows the tree indented, each unit with its name and code. Typing
 * filters it with the console's accent and case folding ("xa 1.05" finds
 * "Xã 1.05", a code works too); the ancestors of a match stay, greyed, for context.
 * Arrow keys move, Enter picks, Escape closes and puts the chosen unit back.
 *
 *   const picker = unitPicker(roots, { value: "DEMO", blank: t("list.all_units"),
 *     id: "list-unit", name: "unit", label: t("list.unit"), onChange: (code) => ... });
 *   el.append(picker.el);   picker.value → "DEMO";   picker.value = "DEMO-H01";
 *
 * The value lives in a hidden <select> carrying `id` and `name` (every unit an
 * option, values are codes): `form.elements[name].value`, `#<id>`'s value,
 * `form.reset()` and its `change` event behave as the plain <select> did, and a
 * script setting `select.value` updates what the input shows. The typed box is
 * `#<id>-input`; the whole picker is `[data-unit-picker="<id>"]`.
 */
import { h, useStyle } from "./dom.js";
import { t, register } from "./i18n.js";
import { fold } from "./format.js";
import { flatten } from "./units.js";

register({
  vi: {
    "unitpicker.placeholder": "Gõ tên hoặc mã đơn vị",
    "unitpicker.none": "Không có đơn vị nào khớp",
    "unitpicker.found": "{n} đơn vị khớp",
  },
  en: {
    "unitpicker.placeholder": "Type a unit name or code",
    "unitpicker.none": "No unit matches",
    "unitpicker.found": "{n} units match",
  },
});

const NATIVE_VALUE = Object.getOwnPropertyDescriptor(HTMLSelectElement.prototype, "value");
const pickers = new WeakMap(); // holder <select> → show(): a form's reset puts the shown text back too
let serial = 0;

// A form reset restores the holder's default option without an event: repaint after it.
document.addEventListener("reset", (ev) => {
  const holders = ev.target.querySelectorAll?.("select[data-unit-value]") || [];
  if (holders.length) setTimeout(() => { for (const s of holders) pickers.get(s)?.(); });
}, true);

/** "Xã 1.05 (DEMO-H01-X05)": what the input shows for a chosen unit. */
export function unitLabel(node) {
  return node ? `${node.name} (${node.code})` : "";
}

export function unitPicker(roots, { value = "", blank = "", id = "", name = "", label = "", placeholder = "", onChange = null } = {}) {
  useStyle("lib/unit-picker.css");
  const uid = id || `unit-picker-${++serial}`;
  const flat = flatten(roots);
  const byCode = new Map(flat.map(({ node }) => [node.code, node]));
  const parent = new Map();
  for (const { node } of flat) for (const child of node.children || []) parent.set(child.code, node.code);
  const folded = flat.map(({ node }) => [fold(node.name), fold(node.code)]);

  // The value holder: what forms, scripts and tests read.
  const select = h("select", { hidden: true, id: id || null, name: name || null, "data-unit-value": "", tabindex: -1, "aria-hidden": "true" },
    h("option", { value: "" }, blank),
    flat.map(({ node }) => h("option", { value: node.code }, unitLabel(node))));
  NATIVE_VALUE.set.call(select, value);
  for (const o of select.options) o.defaultSelected = o.selected;
  Object.defineProperty(select, "value", {
    configurable: true,
    get: () => NATIVE_VALUE.get.call(select),
    set: (v) => { NATIVE_VALUE.set.call(select, v ?? ""); show(); },
  });

  const listId = `${uid}-list`;
  const input = h("input", {
    type: "text", id: `${uid}-input`, role: "combobox", autocomplete: "off", spellcheck: "false",
    "aria-expanded": "false", "aria-controls": listId, "aria-autocomplete": "list",
    "aria-label": label || null, placeholder: placeholder || blank || t("unitpicker.placeholder"),
    "data-unit-input": "",
  });
  const list = h("ul", { role: "listbox", id: listId, "aria-label": label || t("unitpicker.placeholder") });
  const none = h("p", { class: "up-none", hidden: true }, t("unitpicker.none"));
  const popup = h("div", { class: "up-popup", hidden: true }, list, none);
  const status = h("span", { class: "sr-only", role: "status" });
  const el = h("div", { class: "unit-picker", "data-unit-picker": uid },
    input, h("span", { class: "up-chevron", "aria-hidden": "true" }, "▾"), popup, select, status);

  // Options are built the first time the list opens (a form may hold several pickers).
  let rows = null; // [{ li, code, depth }], the blank row first when there is one
  let active = null; // the row the arrow keys are on
  let query = "";

  function build() {
    if (rows) return;
    rows = [];
    const row = (code, depth, content) => {
      const li = h("li", { role: "option", id: `${uid}-opt-${rows.length}`, "data-code": code, "aria-selected": "false",
        class: code ? "" : "up-blank" }, content);
      li.style.setProperty("--depth", String(depth));
      rows.push({ li, code, depth });
      return li;
    };
    if (blank) list.append(row("", 0, h("span", { class: "up-name" }, blank)));
    for (const { node, depth } of flat) {
      list.append(row(node.code, depth,
        [h("span", { class: "up-name" }, node.name), h("span", { class: "up-code" }, node.code)]));
    }
    // Keep the focus in the input (mousedown), pick on click; inside a <label> the click
    // would also be handed to the label's control, so it is marked handled.
    list.addEventListener("mousedown", (ev) => ev.preventDefault());
    list.addEventListener("click", (ev) => {
      ev.preventDefault();
      const li = ev.target.closest("li[role=option]");
      if (!li || li.getAttribute("aria-disabled") === "true") return;
      pick(li.dataset.code);
    });
  }

  /** Show the rows matching the typed text (all when empty); returns the rows that can be picked. */
  function filter(text) {
    query = text;
    const q = fold(text).trim().replace(/\s+/g, " ");
    const visible = new Set();
    const matched = new Set();
    if (q) {
      flat.forEach(({ node }, i) => {
        if (!folded[i][0].includes(q) && !folded[i][1].includes(q)) return;
        matched.add(node.code);
        for (let c = node.code; c && !visible.has(c); c = parent.get(c)) visible.add(c);
      });
    }
    const current = select.value;
    for (const r of rows) {
      const shown = q ? r.code !== "" && visible.has(r.code) : true;
      const context = Boolean(q) && shown && !matched.has(r.code);
      r.li.hidden = !shown;
      r.li.classList.toggle("up-context", context);
      r.li.classList.toggle("up-current", r.code === current && (r.code !== "" || Boolean(blank)));
      if (context) r.li.setAttribute("aria-disabled", "true"); else r.li.removeAttribute("aria-disabled");
    }
    none.hidden = !q || matched.size > 0;
    status.textContent = q ? (matched.size ? t("unitpicker.found", { n: matched.size }) : t("unitpicker.none")) : "";
    return rows.filter((r) => !r.li.hidden && !r.li.hasAttribute("aria-disabled"));
  }

  function setActive(row, { scroll = true } = {}) {
    active?.li.classList.remove("up-active");
    active?.li.setAttribute("aria-selected", "false");
    active = row;
    if (!row) { input.removeAttribute("aria-activedescendant"); return; }
    row.li.classList.add("up-active");
    row.li.setAttribute("aria-selected", "true");
    input.setAttribute("aria-activedescendant", row.li.id);
    if (scroll) row.li.scrollIntoView({ block: "nearest" });
  }

  const isOpen = () => !popup.hidden;

  /** Open on the whole tree (the current unit active) or on what is typed (the first match active). */
  function open(text = "") {
    build();
    const pickable = filter(text);
    // Down from the box, or up when the window has no room below and more above; never past its edge.
    const box = input.getBoundingClientRect();
    const below = innerHeight - box.bottom;
    const above = below < 240 && box.top > below;
    el.classList.toggle("up-above", above);
    list.style.setProperty("--room", `${Math.max(120, (above ? box.top : below) - 16)}px`);
    popup.hidden = false;
    input.setAttribute("aria-expanded", "true");
    const current = text ? null : pickable.find((r) => r.code === select.value);
    setActive(current || pickable[0] || null);
  }

  function close() {
    popup.hidden = true;
    input.setAttribute("aria-expanded", "false");
    setActive(null);
  }

  /** The input shows the chosen unit (or nothing, the placeholder naming the blank choice). */
  function show() {
    input.value = unitLabel(byCode.get(select.value));
    query = "";
  }
  pickers.set(select, show);

  function pick(code) {
    close();
    const changed = code !== select.value;
    NATIVE_VALUE.set.call(select, code);
    show();
    if (changed) select.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function move(step) {
    if (!isOpen()) { open(query); return; }
    const pickable = rows.filter((r) => !r.li.hidden && !r.li.hasAttribute("aria-disabled"));
    if (!pickable.length) return;
    const at = active ? pickable.indexOf(active) : -1;
    const next = at < 0 ? (step > 0 ? 0 : pickable.length - 1) : Math.max(0, Math.min(pickable.length - 1, at + step));
    setActive(pickable[next]);
  }

  input.addEventListener("input", () => open(input.value));
  // The typed text is not a value: only the holder's change means something to a form.
  input.addEventListener("change", (ev) => ev.stopPropagation());
  input.addEventListener("focus", () => input.select());
  input.addEventListener("click", () => { if (!isOpen()) { open(); input.select(); } });
  input.addEventListener("keydown", (ev) => {
    if (ev.isComposing) return; // a Vietnamese IME still composing the letter
    switch (ev.key) {
      case "ArrowDown":
        ev.preventDefault();
        if (ev.altKey && !isOpen()) open(); else move(1);
        break;
      case "ArrowUp":
        ev.preventDefault();
        if (ev.altKey) { if (isOpen() && active) pick(active.code); else close(); } else move(-1);
        break;
      case "PageDown": if (isOpen()) { ev.preventDefault(); move(10); } break;
      case "PageUp": if (isOpen()) { ev.preventDefault(); move(-10); } break;
      case "Enter":
        if (!isOpen()) break; // closed: the form submits as it would from any input
        ev.preventDefault();
        if (active) pick(active.code);
        break;
      case "Escape":
        // Open: close and put the chosen unit back; closed, the key belongs to the page (a dialog).
        if (!isOpen() && input.value === unitLabel(byCode.get(select.value))) break;
        ev.preventDefault();
        ev.stopPropagation();
        close();
        show();
        input.select(); // what is typed next replaces it
        break;
      case "Tab":
        close();
        break;
      default:
    }
  });
  // Leaving the picker: an emptied box clears the choice when clearing is allowed; else the chosen unit comes back.
  el.addEventListener("focusout", (ev) => {
    if (el.contains(ev.relatedTarget)) return;
    close();
    if (blank && input.value.trim() === "" && select.value !== "") pick("");
    else show();
  });
  // Inside a <label> (a radio's, a field's), a click on the list or its frame is not one on that label.
  el.addEventListener("click", (ev) => { if (ev.target !== input) ev.preventDefault(); });
  select.addEventListener("change", () => { show(); onChange?.(select.value); });

  show();
  return {
    el,
    input,
    select,
    get value() { return select.value; },
    set value(code) { select.value = code; },
    focus() { input.focus(); },
    /** The unit chosen now, or null. */
    node: () => byCode.get(select.value) || null,
  };
}
