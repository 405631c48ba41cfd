/**
 * Before a session starts: which of the chosen endpoints cannot join now (busy in another
 * call, offline, an SSH key waiting for approval), with the host's choice per group,
 * "gọi khi rảnh" (invited, dialled whenever it can be) or "bỏ qua" (not invited). Sent as
 * the session's ``unready`` (controller/sessions/schemas.py UnreadyChoices); the controller
 * classifies again at the start, so a scheduled session uses the state of that moment.
 */
import { h, fill } from "../lib/dom.js";
import { t, register } from "../lib/i18n.js";
import { DOWN } from "./host-common.js";

register({
  vi: {
    "unready.title": "Chưa sẵn sàng",
    "unready.busy": "{n} điểm cầu đang bận (trong cuộc gọi khác)",
    "unready.offline": "{n} điểm cầu đang mất kết nối",
    "unready.key_pending": "{n} điểm cầu có khóa SSH chờ duyệt",
    "unready.wait": "Gọi khi rảnh",
    "unready.skip": "Bỏ qua",
    "unready.more": "và {n} điểm cầu khác",
  },
  en: {
    "unready.title": "Not ready",
    "unready.busy": "{n} endpoints are busy (in another call)",
    "unready.offline": "{n} endpoints are offline",
    "unready.key_pending": "{n} endpoints have an SSH key awaiting approval",
    "unready.wait": "Call when free",
    "unready.skip": "Skip",
    "unready.more": "and {n} more",
  },
});

export const UNREADY_KINDS = ["busy", "offline", "key_pending"];
const SHOWN = 6;

/** The same rule as controller/sessions/store.py unready_kind, on what the console knows. */
export function unreadyKind(ep) {
  if (ep.state === "in_call") return "busy";
  if (DOWN.has(ep.state)) return "offline";
  if (ep.host_key_pending) return "key_pending";
  return null;
}

export function unreadySummary() {
  const choices = Object.fromEntries(UNREADY_KINDS.map((k) => [k, "wait"]));
  const el = h("div", { class: "unready", id: "host-unready", "aria-live": "polite" });

  function update(selected) {
    const by = new Map(UNREADY_KINDS.map((k) => [k, []]));
    for (const ep of selected) {
      const kind = unreadyKind(ep);
      if (kind) by.get(kind).push(ep);
    }
    const groups = UNREADY_KINDS.filter((k) => by.get(k).length);
    el.hidden = !groups.length;
    fill(el, groups.length ? h("p", { class: "unready-title" }, t("unready.title")) : null,
      groups.map((kind) => {
        const eps = by.get(kind).sort((a, b) => a.name.localeCompare(b.name));
        const radio = (value) => h("label", { class: "radio" },
          h("input", { type: "radio", name: `unready-${kind}`, value, checked: choices[kind] === value,
            onchange: () => { choices[kind] = value; } }),
          t(`unready.${value}`));
        return h("fieldset", { class: "unready-group", "data-kind": kind, "data-count": eps.length },
          h("legend", {}, t(`unready.${kind}`, { n: eps.length })),
          h("p", { class: "names muted" }, eps.slice(0, SHOWN).map((ep) => ep.name).join(", "),
            eps.length > SHOWN ? ` ${t("unready.more", { n: eps.length - SHOWN })}` : ""),
          h("div", { class: "choice" }, radio("wait"), radio("skip")));
      }));
  }

  return { el, update, choices: () => ({ ...choices }) };
}
