/**
 * The join matrix of the live board: every participant of a province-wide session
 * (250) on one 1920x1080 screen. Compact tiles grouped by district (collapsible),
 * a shape as well as a colour per state, the problems pinned above with a short
 * reason, arrow-key navigation; a tile opens its menu (host-tile-menu.js).
 *
 * Tiles are kept per participant and updated in place: a live board gets a burst of
 * events at the start, and a focused tile must not lose its focus to a re-render.
 */
import { h, fill } from "../lib/dom.js";
import { t, stateName, register } from "../lib/i18n.js";
import { causeText } from "./host-common.js";

register({
  vi: {
    "matrix.problems": "Cần chú ý",
    "matrix.group_problems": "{n} cần chú ý",
    "matrix.collapse": "Thu gọn {name}",
    "matrix.expand": "Mở {name}",
    "matrix.wait_free": "gọi khi rảnh",
    "matrix.muted": "tắt tiếng",
    "matrix.legend": "Chú giải",
    "matrix.keys": "Phím mũi tên để di chuyển giữa các điểm cầu, Enter để mở thao tác.",
  },
  en: {
    "matrix.problems": "Needs attention",
    "matrix.group_problems": "{n} need attention",
    "matrix.collapse": "Collapse {name}",
    "matrix.expand": "Expand {name}",
    "matrix.wait_free": "call when free",
    "matrix.muted": "muted",
    "matrix.legend": "Legend",
    "matrix.keys": "Arrow keys move between endpoints, Enter opens the actions.",
  },
});

/** A shape per state, so the matrix never tells by colour alone. */
export const GLYPH = {
  connected: "✓", waiting: "…", dialling: "↗", ringing: "↗", redialling: "↻", dropped: "↻",
  failed: "✕", unavailable: "⊘", left: "–", removed: "–",
};

/** Up to this many participants the tiles are larger (a province-wide session uses compact ones). */
const ROOMY = 60;

/** Not in the meeting and not simply under way: what a host has to look at. */
export function isProblem(p) {
  if (["failed", "unavailable", "dropped", "redialling"].includes(p.state)) return true;
  return p.state === "waiting" && Boolean(p.cause);
}

/**
 * The matrix element and its updates. ``districtOf(unitCode)`` → {code, name} of the group
 * a unit's endpoints go in; ``onOpen(key, anchor)`` opens a participant's menu.
 */
export function joinMatrix({ districtOf, onOpen }) {
  const tiles = new Map(); // key → tile
  const groups = new Map(); // group code → {el, head, body, keys, count, problems}
  const collapsed = new Set();
  const problemList = h("ul", { class: "pproblems", id: "host-problems-list" });
  const problemHead = h("h3", {}, t("matrix.problems"));
  const problems = h("section", { class: "pproblem-box", id: "host-problems", hidden: true, "aria-live": "polite" },
    problemHead, problemList);
  const groupsEl = h("div", { class: "pmatrix", id: "host-board", role: "group", "aria-label": t("matrix.keys"),
    onkeydown: (ev) => navigate(ev) });
  const el = h("div", { class: "matrix-box" }, problems, groupsEl);
  let focusKey = null; // the one tile in the tab order (roving tabindex)

  function group(p) {
    const district = districtOf(p.unit_code) || { code: p.unit_code, name: p.unit_name };
    let g = groups.get(district.code);
    if (g) return g;
    const count = h("span", { class: "gcount" });
    const bad = h("span", { class: "gbad" });
    const body = h("div", { class: "ptiles" });
    const head = h("button", { type: "button", class: "ghead", "aria-expanded": "true",
      onclick: () => toggle(district.code) },
    h("span", { class: "caret", "aria-hidden": "true" }, "▾"),
    h("span", { class: "uname" }, district.name), h("span", { class: "spacer" }), bad, count);
    g = { code: district.code, name: district.name, keys: new Set(), count, bad, head, body,
      el: h("section", { class: "pgroup", "data-unit": district.code }, head, body) };
    groups.set(district.code, g);
    // Units in code order: a unit's code extends its parent's, so the province comes first.
    const after = [...groups.keys()].sort().filter((c) => c > district.code).map((c) => groups.get(c).el).find((e) => e.isConnected);
    groupsEl.insertBefore(g.el, after || null);
    return g;
  }

  function toggle(code) {
    const g = groups.get(code);
    const closing = !collapsed.has(code);
    if (closing) collapsed.add(code); else collapsed.delete(code);
    g.body.hidden = closing;
    g.head.setAttribute("aria-expanded", String(!closing));
    g.head.firstChild.textContent = closing ? "▸" : "▾";
    g.head.title = t(closing ? "matrix.expand" : "matrix.collapse", { name: g.name });
  }

  function label(p) {
    const bits = [p.endpoint_name, stateName(p.state)];
    if (p.muted && p.state === "connected") bits.push(t("matrix.muted"));
    if (p.wait_free) bits.push(t("matrix.wait_free"));
    const cause = p.cause ? causeText(p) : "";
    if (cause) bits.push(cause);
    return bits.join(" · ");
  }

  function update(key, p) {
    let tile = tiles.get(key);
    if (!tile) {
      tile = h("button", { type: "button", class: "ptile", tabindex: "-1", "data-endpoint": p.endpoint_name,
        "data-key": key, onclick: () => { setFocus(key); onOpen(key, tile); }, onfocus: () => setFocus(key) },
      h("span", { class: "pt-glyph", "aria-hidden": "true" }), h("span", { class: "pt-name" }));
      tiles.set(key, tile);
      const g = group(p);
      g.keys.add(key);
      const next = [...g.body.children].find((e) => e.dataset.endpoint.localeCompare(p.endpoint_name) > 0);
      g.body.insertBefore(tile, next || null);
      if (focusKey === null) setFocus(key);
    }
    tile.dataset.state = p.state;
    tile.dataset.muted = String(Boolean(p.muted && p.state === "connected"));
    tile.dataset.drops = String(p.drops);
    tile.dataset.problem = String(isProblem(p));
    tile.firstChild.textContent = GLYPH[p.state] || "?";
    if (!tile.lastChild.textContent) tile.lastChild.textContent = p.endpoint_name; // shortened per group in render()
    tile.title = label(p);
    tile.setAttribute("aria-label", label(p));
  }

  function drop(key) {
    tiles.get(key)?.remove();
    tiles.delete(key);
    for (const [code, g] of groups) {
      g.keys.delete(key);
      if (!g.keys.size) { g.el.remove(); groups.delete(code); }
    }
    if (focusKey === key) { focusKey = null; const first = tiles.keys().next(); if (!first.done) setFocus(first.value); }
  }

  function setFocus(key) {
    if (focusKey === key) return;
    tiles.get(focusKey)?.setAttribute("tabindex", "-1");
    focusKey = key;
    tiles.get(key)?.setAttribute("tabindex", "0");
  }

  /** Group heads and the pinned problems; once per frame (the board schedules it). */
  function render(parts, visible) {
    // A session of a district or less gets bigger tiles: the screen has room for them.
    groupsEl.classList.toggle("roomy", parts.size <= ROOMY);
    for (const g of groups.values()) {
      const mine = [...g.keys].map((k) => parts.get(k)).filter(Boolean);
      const bad = mine.filter(isProblem).length;
      g.count.textContent = t("host.joined_of", { c: mine.filter((p) => p.state === "connected").length, n: mine.length });
      g.bad.textContent = bad ? `⚠ ${t("matrix.group_problems", { n: bad })}` : "";
      g.bad.hidden = !bad;
      g.el.dataset.problems = String(bad);
      const short = shortNames(mine.map((p) => p.endpoint_name));
      for (const key of g.keys) {
        const p = parts.get(key);
        const name = tiles.get(key)?.lastChild;
        if (p && name && name.textContent !== short.get(p.endpoint_name)) name.textContent = short.get(p.endpoint_name);
      }
    }
    const pinned = [...parts.entries()].filter(([, p]) => isProblem(p) && visible(p))
      .sort(([, a], [, b]) => a.unit_code.localeCompare(b.unit_code) || a.endpoint_name.localeCompare(b.endpoint_name));
    problems.hidden = !pinned.length;
    problemHead.textContent = `${t("matrix.problems")} (${pinned.length})`;
    fill(problemList, pinned.map(([key, p]) => h("li", {},
      h("button", { type: "button", class: "pproblem", "data-endpoint": p.endpoint_name, "data-state": p.state,
        onclick: (ev) => onOpen(key, ev.currentTarget) },
      h("span", { class: "pt-glyph", "aria-hidden": "true" }, GLYPH[p.state] || "?"),
      h("span", { class: "pt-name" }, p.endpoint_name),
      h("span", { class: "pt-state" }, stateName(p.state)),
      h("span", { class: "pt-cause", "data-code": p.cause_code || "" }, p.cause ? causeText(p) : "")))));
  }

  /** Hide what the filter leaves out; the number of tiles shown. */
  function applyFilter(visibleKey) {
    let shown = 0;
    for (const [key, tile] of tiles) {
      const on = visibleKey(key);
      tile.hidden = !on;
      if (on) shown += 1;
    }
    for (const g of groups.values()) g.el.hidden = ![...g.keys].some((k) => !tiles.get(k)?.hidden);
    return shown;
  }

  /** Arrow keys move the focus on the grid as it is laid out; Home/End to the ends. */
  function navigate(ev) {
    const tile = ev.target.closest?.(".ptile");
    if (!tile) return;
    const shown = [...groupsEl.querySelectorAll(".ptile")].filter((e) => e.offsetParent !== null);
    const i = shown.indexOf(tile);
    let target = null;
    if (ev.key === "ArrowRight") target = shown[i + 1];
    else if (ev.key === "ArrowLeft") target = shown[i - 1];
    else if (ev.key === "Home") target = shown[0];
    else if (ev.key === "End") target = shown[shown.length - 1];
    else if (ev.key === "ArrowDown" || ev.key === "ArrowUp") target = vertical(shown, tile, ev.key === "ArrowDown" ? 1 : -1);
    else return;
    ev.preventDefault();
    if (target) { setFocus(target.dataset.key); target.focus(); }
  }

  function vertical(shown, tile, dir) {
    const from = tile.getBoundingClientRect();
    const cx = from.left + from.width / 2;
    let best = null;
    let bestScore = Infinity;
    for (const e of shown) {
      const r = e.getBoundingClientRect();
      const dy = (r.top - from.top) * dir;
      if (dy < from.height / 2) continue;
      const score = dy * 4 + Math.abs(r.left + r.width / 2 - cx);
      if (score < bestScore) { best = e; bestScore = score; }
    }
    return best;
  }

  return { el, update, drop, render, applyFilter, tile: (key) => tiles.get(key) };
}

/**
 * Names without what every name of the group starts with ("DEMO-H01-X03-vc044" → "X03-vc044",
 * "UBND xã Tân Hòa" → "Tân Hòa"): a tile is small, its group head already says the rest.
 * Cut at a separator only; the full name stays in the tile's label and menu.
 */
export function shortNames(names) {
  const out = new Map(names.map((n) => [n, n]));
  if (names.length < 2) return out;
  let prefix = names[0];
  for (const n of names) while (!n.startsWith(prefix)) prefix = prefix.slice(0, -1);
  const cut = Math.max(...["-", " ", "_", ".", "/"].map((sep) => prefix.lastIndexOf(sep))) + 1;
  if (cut <= 0) return out;
  for (const n of names) if (n.length > cut) out.set(n, n.slice(cut));
  return out;
}

/** Which group a unit's endpoints go in: its district, or the unit itself above districts. */
export function districtIndex(roots) {
  const index = new Map();
  function walk(nodes, district) {
    for (const n of nodes) {
      const mine = district || (n.level === "district" ? n : null);
      index.set(n.code, mine ? { code: mine.code, name: mine.name } : { code: n.code, name: n.name });
      walk(n.children || [], mine);
    }
  }
  walk(roots, null);
  return (code) => index.get(code) || null;
}
