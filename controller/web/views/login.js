/**
 * The sign-in page: a password (local accounts, and the province's directory when LDAP is
 * on), the province's single sign-on portal when one is configured, and a wall display's
 * device key. What went wrong is said from the controller's problem `code`, in the
 * console's language; someone the directory knows but no group lets in gets a page of its
 * own saying whom to ask, not a "wrong password".
 */
import { ApiError } from "../lib/api.js";
import { h, fill } from "../lib/dom.js";
import { register, t } from "../lib/i18n.js";

register({
  vi: {
    "signin.sso": "Đăng nhập bằng {label}",
    "signin.or": "hoặc dùng tên đăng nhập và mật khẩu",
    "signin.no_access_title": "Chưa được cấp quyền",
    "signin.no_access_text": "Tài khoản của anh/chị đã được hệ thống tài khoản của tỉnh xác nhận, nhưng chưa thuộc nhóm nào được cấp quyền dùng diemcau. Đề nghị liên hệ quản trị hệ thống của tỉnh để được thêm vào nhóm phù hợp.",
    "signin.no_access_who": "Tài khoản: {username}",
    "signin.back": "Quay lại trang đăng nhập",
    "signin.directory.unavailable": "Chưa kết nối được với hệ thống tài khoản của tỉnh. Vui lòng thử lại sau ít phút (tài khoản quản trị nội bộ vẫn đăng nhập được).",
    "signin.directory.name_taken": "Tên tài khoản này trùng với một tài khoản nội bộ của diemcau; đề nghị liên hệ quản trị hệ thống.",
    "signin.directory.disabled": "Tài khoản này đã bị quản trị viên khóa trong diemcau; đề nghị liên hệ quản trị hệ thống.",
    "signin.oidc.no_state": "Lần đăng nhập một lần đã quá hạn hoặc không bắt đầu từ trình duyệt này; vui lòng đăng nhập lại.",
    "signin.oidc.bad_state": "Phản hồi của cổng đăng nhập không khớp với lần đăng nhập này; vui lòng đăng nhập lại.",
    "signin.oidc.bad_nonce": "Mã xác thực của cổng đăng nhập không dành cho lần đăng nhập này; vui lòng đăng nhập lại.",
    "signin.oidc.bad_token": "Mã xác thực của cổng đăng nhập không hợp lệ; đề nghị báo quản trị hệ thống.",
    "signin.oidc.bad_claims": "Cổng đăng nhập không gửi tên tài khoản hợp lệ; đề nghị báo quản trị hệ thống.",
    "signin.oidc.bad_callback": "Phản hồi của cổng đăng nhập thiếu thông tin; vui lòng đăng nhập lại.",
    "signin.oidc.exchange_failed": "Cổng đăng nhập không xác nhận lần đăng nhập này (mã đã dùng hoặc đã hết hạn); vui lòng đăng nhập lại.",
    "signin.oidc.provider_error": "Cổng đăng nhập đã từ chối lần đăng nhập này.",
    "signin.too-many-requests": "Đăng nhập sai quá nhiều lần; vui lòng thử lại sau ít phút.",
  },
  en: {
    "signin.sso": "Sign in with {label}",
    "signin.or": "or use a username and password",
    "signin.no_access_title": "No access yet",
    "signin.no_access_text": "The province's directory knows your account, but none of your groups is given access to diemcau. Please ask the province's administrator to add you to the right group.",
    "signin.no_access_who": "Account: {username}",
    "signin.back": "Back to sign-in",
    "signin.directory.unavailable": "The province's directory cannot be reached now. Please try again in a few minutes (local administrator accounts still sign in).",
    "signin.directory.name_taken": "This name belongs to a local diemcau account; please ask the administrator.",
    "signin.directory.disabled": "An administrator has disabled this account in diemcau; please ask them.",
    "signin.oidc.no_state": "The single sign-on took too long or did not start in this browser; please sign in again.",
    "signin.oidc.bad_state": "The portal's answer does not belong to this sign-in; please sign in again.",
    "signin.oidc.bad_nonce": "The portal's token does not belong to this sign-in; please sign in again.",
    "signin.oidc.bad_token": "The portal's token is not valid; please tell the administrator.",
    "signin.oidc.bad_claims": "The portal sent no usable account name; please tell the administrator.",
    "signin.oidc.bad_callback": "The portal's answer is incomplete; please sign in again.",
    "signin.oidc.exchange_failed": "The portal did not confirm this sign-in (the code was used or expired); please sign in again.",
    "signin.oidc.provider_error": "The portal refused this sign-in.",
    "signin.too-many-requests": "Too many failed sign-ins; please try again in a few minutes.",
  },
});

/** What a refused sign-in says: the code's words, else the controller's own sentence. */
function refusal(err, code) {
  if (err instanceof ApiError && err.status === 401 && !code) return t("app.login_failed");
  const key = `signin.${code}`;
  const words = t(key);
  return words !== key ? words : (err?.message || code);
}

/** A sign-in returned by the portal, or its refusal: read once from the URL and removed
 * (the one-time token must not stay in the address bar or the history). */
export function takeSsoFragment() {
  const hash = location.hash;
  if (!hash.startsWith("#sso=") && !hash.startsWith("#sso-error=")) return null;
  history.replaceState(null, "", location.pathname + location.search);
  const [key, value] = hash.slice(1).split("=", 2);
  return key === "sso" ? { token: value } : { error: decodeURIComponent(value || "") };
}

export function showNoAccess(main, username, back) {
  fill(main, h("section", { class: "login no-access", id: "no-access", role: "alert" },
    h("h1", {}, t("signin.no_access_title")),
    h("p", {}, t("signin.no_access_text")),
    username ? h("p", { class: "muted" }, t("signin.no_access_who", { username })) : null,
    h("button", { type: "button", class: "primary", id: "no-access-back", onclick: back }, t("signin.back")),
  ));
}

/** The sign-in page; ``onSignedIn(strict)`` continues once tokens or a wall key are held. */
export function showLogin(main, { api, onSignedIn, message = "", errorCode = "" }) {
  const back = () => showLogin(main, { api, onSignedIn });
  if (errorCode === "directory.no_access") { showNoAccess(main, "", back); return; }
  const error = h("p", { class: "error", role: "alert", id: "login-error" },
    message || (errorCode ? refusal(null, errorCode) : ""));
  const username = h("input", { name: "username", autocomplete: "username", required: true, id: "username" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true, id: "password" });
  const sso = h("div", { class: "sso", id: "sso" });
  const form = h("form", { class: "login", id: "login",
    onsubmit: async (ev) => {
      ev.preventDefault();
      error.textContent = "";
      try {
        await api.login(username.value.trim(), password.value);
        await onSignedIn();
      } catch (err) {
        const code = err instanceof ApiError ? err.problem?.code : "";
        if (code === "directory.no_access") showNoAccess(main, username.value.trim(), back);
        else error.textContent = refusal(err, code === "unauthorized" ? "" : code);
      }
    } },
    h("h1", {}, "diemcau"),
    sso,
    h("label", {}, t("app.username"), username),
    h("label", {}, t("app.password"), password),
    h("button", { type: "submit", class: "primary" }, t("app.login")),
    error,
    wallKeyForm(api, error, onSignedIn),
  );
  fill(main, form);
  username.focus();
  api.signInMethods().then((methods) => {
    if (!methods?.sso) return;
    fill(sso, h("a", { class: "button primary", id: "sso-start", href: "../api/v1/auth/oidc/start" },
      t("signin.sso", { label: methods.sso.label })), h("p", { class: "muted" }, t("signin.or")));
  }).catch(() => {});
}

/** A wall display signs in once with its device key (an admin makes one per screen). */
function wallKeyForm(api, error, onSignedIn) {
  const key = h("input", { name: "wall-key", id: "wall-key", type: "password", autocomplete: "off", placeholder: "dck_…" });
  const use = h("button", { type: "button", id: "wall-key-use", onclick: async () => {
    error.textContent = "";
    api.useWallKey(key.value.trim());
    try {
      await onSignedIn(true);
    } catch (err) {
      api.clear();
      error.textContent = err instanceof ApiError && err.status === 401 ? t("app.wall_key_bad") : err.message;
    }
  } }, t("app.wall_key_use"));
  return h("details", { class: "wall-key" }, h("summary", {}, t("app.wall_key")), h("label", {}, t("app.wall_key_label"), key), use);
}
