/**
 * The unit tree (province → districts → communes), shared by every view that
 * shows or picks units: the IOC's live counts, the host's scope picker, the
 * technician's filters.
 *
 *   const roots = await loadTree(api);            // [{id, code, name, level, endpoints, children}]
 *   const tree = unitTree(roots, {
 *     extra: (node) => h("span", {}, node.endpoints),   // what to show beside each name
 *     checkable: true,                                   // a checkbox per unit (scope picking)
 *     onSelect: (node) => ...,                           // a click on the name
 *     open: 1,                                           // levels open at first
 *   });
 *   el.append(tree.el);  tree.checked() → [node...];  tree.refresh() re-renders the extras.
 */
import { h } from "./dom.js";

export async function loadTree(api) {
  return api.get("units/tree");
}

/** Every node, depth first, with its depth: for <select> lists and lookups. */
export function flatten(roots, depth = 0, out = []) {
  for (const node of roots) {
    out.push({ node, depth });
    flatten(node.children || [], depth + 1, out);
  }
  return out;
}

/** <option>s indented by depth, values are unit codes. */
export function unitOptions(roots, { blank = "" } = {}) {
  const options = blank ? [h("option", { value: "" }, blank)] : [];
  for (const { node, depth } of flatten(roots)) {
    options.push(h("option", { value: node.code }, `${"\u00a0\u00a0".repeat(depth)}${node.name} (${node.code})`));
  }
  return options;
}

export function unitTree(roots, { extra = () => null, checkable = false, onSelect = null, open = 1 } = {}) {
  const boxes = new Map(); // code → [checkbox, node]
  const extras = new Map(); // code → [span, node]
  let selected = null;

  function item(node, depth) {
    const kids = node.children || [];
    const list = h("ul", { hidden: depth >= open });
    // Named by its unit; aria-expanded follows the list, whoever opens it (a view may, to reveal a unit).
    const toggle = h("button", { type: "button", class: "toggle", "aria-label": node.name, disabled: !kids.length,
      "aria-expanded": kids.length ? String(depth < open) : null,
      onclick: () => { list.hidden = !list.hidden; toggle.textContent = list.hidden ? "▸" : "▾"; } },
    kids.length ? (depth >= open ? "▸" : "▾") : "·");
    if (kids.length) {
      new MutationObserver(() => toggle.setAttribute("aria-expanded", String(!list.hidden)))
        .observe(list, { attributes: true, attributeFilter: ["hidden"] });
    }
    const holder = h("span", { class: "extra" }, extra(node));
    extras.set(node.code, [holder, node]);
    let box = null;
    if (checkable) {
      box = h("input", { type: "checkbox", value: node.code, "data-unit": node.code, "aria-label": `${node.name} (${node.code})`,
        onchange: () => { for (const b of list.querySelectorAll("input[type=checkbox]")) { b.checked = false; b.disabled = box.checked; } } });
      boxes.set(node.code, [box, node]);
    }
    const choose = () => {
      selected?.classList.remove("selected");
      selected = row;
      row.classList.add("selected");
      onSelect(node);
    };
    // A selectable name is a button for the keyboard too (Tab to it, Enter or Space to pick).
    const name = h("span", { class: "name", title: `${node.name} (${node.code})`, "data-unit": node.code,
      ...(onSelect ? { role: "button", tabindex: 0 } : {}),
      onclick: onSelect ? choose : null,
      onkeydown: onSelect ? (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); choose(); } } : null,
    }, node.name);
    const row = h("div", { class: onSelect ? "selectable" : "" }, toggle, box, name, holder);
    for (const child of kids) list.append(item(child, depth + 1));
    return h("li", { "data-unit": node.code }, row, kids.length ? list : null);
  }

  const el = h("div", { class: "tree" }, h("ul", {}, roots.map((n) => item(n, 0))));
  return {
    el,
    /** Checked units; a checked unit stands for its whole subtree (its children are disabled). */
    checked: () => [...boxes.values()].filter(([b]) => b.checked && !b.disabled).map(([, n]) => n),
    check: (code, on = true) => { const b = boxes.get(code)?.[0]; if (b) { b.checked = on; b.dispatchEvent(new Event("change")); } },
    refresh: () => { for (const [holder, node] of extras.values()) holder.replaceChildren(...[extra(node)].flat().filter(Boolean)); },
  };
}
