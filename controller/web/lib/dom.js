/**
 * h(): build DOM without innerHTML. Text always goes in as text, so a name a
 * technician typed ("<img onerror=...>") shows as what it is and runs nothing.
 *
 *   h("button", { class: "primary", onclick: save, "data-id": id }, t("save"))
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "style" && typeof value === "object") Object.assign(el.style, value);
    else if (key in el && typeof value !== "string") el[key] = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A local date-time in the province's usual form (dd/mm/yyyy hh:mm:ss). */
export function when(iso, lang = "vi") {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(lang === "vi" ? "vi-VN" : "en-GB", { hour12: false });
}

/** A state badge: the class carries the colour, the text is translated by the caller. */
export function badge(state, text) {
  return h("span", { class: `badge s-${state}`, "data-state": state }, text ?? state);
}

/** Let the browser save a Blob under a name (attendance CSV, exports). */
export function download(blob, name) {
  const a = h("a", { href: URL.createObjectURL(blob), download: name, hidden: true }); // never in the reading order
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

/** Load a view's own stylesheet once (views/<name>.css), so views do not share one file. */
export function useStyle(href) {
  const url = new URL(href, document.baseURI).href;
  if ([...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === url)) return;
  document.head.append(h("link", { rel: "stylesheet", href: url }));
}
