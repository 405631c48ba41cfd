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
 *   tree.filter("huyen so 2")  // only matching units (name or code, accents optional) and their ancestors; "" restores
 *
 * On a checkable tree a unit's name is the <label> of its checkbox: the whole row ticks.
 * One unit out of the tree, picked by typing, is lib/unit-picker.js.
 */
import { h } from "./dom.js";
import { fold } from "./format.js";

let trees = 0; // checkbox ids stay unique when a page holds two trees

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

export function unitTree(roots, { extra = () => null, checkable = false, onSelect = null, open = 1 } = {}) {
  const boxes = new Map(); // code → [checkbox, node]
  const extras = new Map(); // code → [span, node]
  const items = []; // [{ node, li, row, list, parent }] depth first, for filter()
  const prefix = `unit-tree-${++trees}`;
  let selected = null;
  let saved = null; // the open/closed lists before a filter, put back when it is cleared

  function item(node, depth, parent) {
    const kids = node.children || [];
    const list = h("ul", { hidden: depth >= open });
    // Named by its unit; aria-expanded and the arrow follow the list, whoever opens it (a view may, to reveal a unit).
    const toggle = h("button", { type: "button", class: "toggle", "aria-label": node.name, disabled: !kids.length,
      "aria-expanded": kids.length ? String(depth < open) : null,
      onclick: () => { list.hidden = !list.hidden; } },
    kids.length ? (depth >= open ? "▸" : "▾") : "·");
    if (kids.length) {
      new MutationObserver(() => {
        toggle.setAttribute("aria-expanded", String(!list.hidden));
        toggle.textContent = list.hidden ? "▸" : "▾";
      }).observe(list, { attributes: true, attributeFilter: ["hidden"] });
    }
    const holder = h("span", { class: "extra" }, extra(node));
    extras.set(node.code, [holder, node]);
    let box = null;
    if (checkable) {
      box = h("input", { type: "checkbox", id: `${prefix}-${boxes.size}`, value: node.code, "data-unit": node.code,
        "aria-label": `${node.name} (${node.code})`,
        onchange: () => { for (const b of list.querySelectorAll("input[type=checkbox]")) { b.checked = false; b.disabled = box.checked; } } });
      boxes.set(node.code, [box, node]);
    }
    const choose = () => {
      selected?.classList.remove("selected");
      selected = row;
      row.classList.add("selected");
      onSelect(node);
    };
    // A selectable name is a button for the keyboard too (Tab to it, Enter or Space to pick);
    // a checkable one is its checkbox's label, so a click on the name ticks the box.
    const name = box && !onSelect
      ? h("label", { class: "name", for: box.id, title: `${node.name} (${node.code})`, "data-unit": node.code }, node.name)
      : h("span", { class: "name", title: `${node.name} (${node.code})`, "data-unit": node.code,
        ...(onSelect ? { role: "button", tabindex: 0 } : {}),
        onclick: onSelect ? choose : null,
        onkeydown: onSelect ? (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); choose(); } } : null,
      }, node.name);
    const row = h("div", { class: onSelect ? "selectable" : "" }, toggle, box, name, holder);
    const li = h("li", { "data-unit": node.code }, row, kids.length ? list : null);
    items.push({ node, li, row, list: kids.length ? list : null, parent, folded: [fold(node.name), fold(node.code)] });
    const me = items[items.length - 1];
    for (const child of kids) list.append(item(child, depth + 1, me));
    return li;
  }

  /**
   * Only the units whose name or code holds the text (accents and case aside), their
   * ancestors (greyed, opened to show them) and what is below them; "" shows everything
   * again, each list open or closed as it was before the search. Returns the matches.
   */
  function filter(text) {
    const q = fold(text).trim().replace(/\s+/g, " ");
    if (!q) {
      for (const it of items) { it.li.hidden = false; it.row.classList.remove("context", "match"); }
      if (saved) for (const [list, hidden] of saved) list.hidden = hidden;
      saved = null;
      return items.length;
    }
    saved ||= new Map(items.filter((it) => it.list).map((it) => [it.list, it.list.hidden]));
    const matched = new Set(items.filter((it) => it.folded[0].includes(q) || it.folded[1].includes(q)));
    const shown = new Set();
    const opened = new Set();
    for (const it of matched) {
      for (let up = it; up && !shown.has(up); up = up.parent) shown.add(up);
      for (let up = it.parent; up && !opened.has(up); up = up.parent) opened.add(up);
    }
    for (const it of items) {
      // Below a match: kept (seen when the match is opened), a match stands for its whole subtree.
      let under = false;
      for (let up = it.parent; up && !under; up = up.parent) under = matched.has(up);
      it.li.hidden = !shown.has(it) && !under;
      it.row.classList.toggle("match", matched.has(it));
      it.row.classList.toggle("context", shown.has(it) && !matched.has(it));
      if (it.list) it.list.hidden = opened.has(it) ? false : saved.get(it.list);
    }
    return matched.size;
  }

  const el = h("div", { class: "tree" }, h("ul", {}, roots.map((n) => item(n, 0, null))));
  return {
    filter,
    el,
    /** Checked units; a checked unit stands for its whole subtree (its children are disabled). */
    checked: () => [...boxes.values()].filter(([b]) => b.checked && !b.disabled).map(([, n]) => n),
    check: (code, on = true) => { const b = boxes.get(code)?.[0]; if (b) { b.checked = on; b.dispatchEvent(new Event("change")); } },
    refresh: () => { for (const [holder, node] of extras.values()) holder.replaceChildren(...[extra(node)].flat().filter(Boolean)); },
  };
}
