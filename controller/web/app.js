/**
 * The console shell: sign in, pick the views the role may open, route by the
 * URL fragment, switch language. Each view is a module exporting
 * `mount(el, ctx, ...params)` that returns a cleanup function; ctx is
 * { api, t, user, go, toast } and is all a view needs.
 */
import { Api } from "./lib/api.js";
import { h, fill } from "./lib/dom.js";
import { t, language, setLanguage, onLanguage } from "./lib/i18n.js";
import { showLogin as showLoginPage, takeSsoFragment } from "./views/login.js";
import { alarmBell } from "./lib/alarm-bell.js";

/** Route → [module, roles that may open it]. */
const ROUTES = {
  ioc: ["./views/ioc.js", ["ioc_viewer", "ioc_operator", "admin", "technician", "host"]],
  tech: ["./views/tech.js", ["technician", "admin"]],
  host: ["./views/host.js", ["host", "admin"]],
  endpoint: ["./views/details.js", ["ioc_viewer", "ioc_operator", "admin", "technician", "host"]],
  camera: ["./views/details.js", ["ioc_viewer", "ioc_operator", "admin", "technician", "host"]],
  list: ["./views/ioc-list.js", ["ioc_viewer", "ioc_operator", "admin", "technician", "host"]],
  ready: ["./views/ready.js", ["host", "technician", "admin", "ioc_viewer", "ioc_operator"]],
};
const NAV = ["ioc", "list", "tech", "host", "ready"];
const HOME = { ioc_viewer: "ioc", ioc_operator: "ioc", technician: "tech", host: "host", admin: "ioc" };

const main = document.getElementById("main");
const bar = document.getElementById("bar");
let user = null;
let cleanup = null;
let stopBell = () => {};

/** The header's alarm counter, for every role; again in a new language. */
function mountBell() {
  stopBell();
  stopBell = user ? alarmBell(api, document.getElementById("bell-box")) : () => {};
}

// The controller refused the credentials even after a renewal: the sign-in is over.
const api = new Api(() => { if (user) endSession(t("app.expired")); });

function toast(text, kind = "info") {
  const el = document.getElementById("toast");
  el.textContent = text;
  el.className = `toast ${kind}`;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, kind === "error" ? 8000 : 4000);
}

function go(route) {
  if (location.hash === `#/${route}`) render();
  else location.hash = `#/${route}`;
}

function endSession(message = "") {
  api.clear();
  user = null;
  mountBell();
  bar.hidden = true;
  if (cleanup) { cleanup(); cleanup = null; }
  showLogin(message);
}

/** The user's own sign-out: the controller ends this sign-in too (its tokens stop working). */
async function signOut() {
  if (cleanup) { cleanup(); cleanup = null; }
  await api.logout();
  endSession();
}

/** The routes this user may open: by any role they hold somewhere (the controller keeps each
 * role to its units); a wall display's key opens its one view only. */
function allowed(route) {
  const held = new Set((user.grants || []).map((g) => g.role).concat(user.role));
  if (!ROUTES[route] || !ROUTES[route][1].some((r) => held.has(r))) return false;
  return !user.view || route === user.view;
}

function showLogin(message = "", errorCode = "") {
  showLoginPage(main, { api, onSignedIn: start, message, errorCode });
}

function renderBar() {
  bar.hidden = false;
  fill(document.getElementById("nav"), NAV.filter(allowed).map((r) =>
    h("a", { href: `#/${r}`, "data-route": r, class: location.hash.startsWith(`#/${r}`) ? "current" : "" }, t(`nav.${r}`))));
  const where = (user.grants || []).map((g) => `${t(`role.${g.role}`)}${g.unit ? ` ${g.unit}` : ""}`);
  document.getElementById("who").textContent = `${user.name} · ${where.join(", ") || t(`role.${user.role}`)}`;
  document.getElementById("logout").textContent = t("app.logout");
  document.getElementById("lang").value = language();
}

let generation = 0; // the newest navigation wins: a slower, older render is dropped

async function render() {
  if (!user) return;
  const mine = ++generation;
  const [route, ...params] = location.hash.replace(/^#\/?/, "").split("/").filter(Boolean);
  const home = user.view || HOME[user.role];
  const name = route && ROUTES[route] ? route : home;
  if (!route || !ROUTES[route]) { history.replaceState(null, "", `#/${name}`); }
  renderBar();
  if (cleanup) { cleanup(); cleanup = null; }
  const [module] = ROUTES[name];
  if (!allowed(name)) { fill(main, h("p", { class: "error" }, t("app.no_access"))); return; }
  fill(main, h("p", { class: "muted" }, t("app.loading")));
  const view = await import(module);
  if (mine !== generation) return;
  const el = h("section", { class: `view view-${name}`, id: `view-${name}` });
  fill(main, el);
  const done = (await view.mount(el, { api, t, user, go, toast }, name, ...params)) || null;
  if (mine !== generation) { done?.(); return; } // navigated away while it was loading
  cleanup = done;
}

/** Who is signed in, then the view; ``strict``: a failure is the caller's to show (a wrong
 * wall key), else it returns to the login page. */
async function start(strict = false) {
  try {
    user = await api.get("auth/me");
  } catch (err) {
    if (strict) throw err;
    endSession();
    return;
  }
  mountBell();
  await render();
}

window.addEventListener("hashchange", render);
document.getElementById("logout").addEventListener("click", () => signOut());
document.getElementById("lang").addEventListener("change", (ev) => setLanguage(ev.target.value));
onLanguage(() => { if (user) { mountBell(); render(); } else showLogin(); });
document.documentElement.lang = language();

/** Back from the province's portal: its sign-in, or why there is none. */
async function boot() {
  const sso = takeSsoFragment();
  if (sso?.token) {
    try { await api.fromSso(sso.token); } catch { showLogin("", "oidc.exchange_failed"); return; }
  } else if (sso?.error) { showLogin("", sso.error); return; }
  if (api.token) start(); else showLogin();
}
boot();
