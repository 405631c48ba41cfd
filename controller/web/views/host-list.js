/** #/host: live, scheduled and recently ended sessions. */
import { h, fill, badge } from "../lib/dom.js";
import { t, stateName } from "../lib/i18n.js";
import { stream } from "../lib/sse.js";
import { at, problemText } from "./host-common.js";
import "./host-i18n.js";

export function mountList(el, ctx) {
  const { api } = ctx;
  const live = h("div", { class: "scroll", id: "host-live" });
  const scheduled = h("div", { class: "scroll", id: "host-scheduled" });
  const recent = h("div", { class: "scroll", id: "host-recent" });
  const error = h("p", { class: "error", role: "alert" });
  fill(el,
    h("div", { class: "row host-head" },
      h("h1", {}, t("host.sessions")),
      h("span", { class: "spacer" }),
      h("button", { type: "button", class: "primary", id: "host-new", onclick: () => ctx.go("host/new") }, `+ ${t("host.new")}`)),
    error,
    h("div", { class: "grid host-lists" },
      h("section", { class: "panel live" }, h("h2", {}, h("span", { class: "dot" }), t("host.live_sessions")), live),
      h("section", { class: "panel" }, h("h2", {}, t("host.scheduled_sessions")), scheduled),
      h("section", { class: "panel" }, h("h2", {}, t("host.recent_sessions")), recent)));

  const open = (s) => ctx.go(`host/${s.id}`);
  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const [l, s, any] = await Promise.all([
        api.get("sessions", { status: "live", limit: 200 }),
        api.get("sessions", { status: "scheduled", limit: 100 }),
        api.get("sessions", { limit: 60 }),
      ]);
      fill(live, sessionTable(l.items, "live", open) || h("p", { class: "muted" }, t("host.none_live")));
      fill(scheduled, sessionTable([...s.items].sort((a, b) => Date.parse(a.start_at) - Date.parse(b.start_at)), "scheduled", open)
        || h("p", { class: "muted" }, t("host.none_scheduled")));
      const done = any.items.filter((x) => x.status === "ended" || x.status === "cancelled").slice(0, 25);
      fill(recent, sessionTable(done, "ended", open) || h("p", { class: "muted" }, t("host.none_recent")));
      error.textContent = "";
    } catch (err) {
      error.textContent = problemText(err);
    } finally {
      busy = false;
    }
  }
  refresh();
  // Started and ended sessions arrive at once; the live counts move with every participant,
  // which the outbox does not carry, so those are re-read every few seconds.
  const stop = stream(api, "events/stream", () => refresh(), { query: { types: "session." } });
  const timer = setInterval(refresh, 5000);
  return () => { stop(); clearInterval(timer); };
}

function sessionTable(items, kind, open) {
  if (!items.length) return null;
  const people = (s) => {
    const invited = Object.values(s.counts || {}).reduce((a, b) => a + b, 0);
    if (kind === "live") return t("host.joined_of", { c: s.counts?.connected || 0, n: invited });
    return invited ? t("host.invited_n", { n: invited }) : "—";
  };
  return h("table", { class: "sessions" },
    h("thead", {}, h("tr", {},
      h("th", {}, t("host.col_title")), h("th", {}, t("host.col_status")),
      h("th", {}, t("host.col_start")), kind === "scheduled" ? null : h("th", {}, t("host.col_end")),
      h("th", {}, t("host.col_participants")), h("th", {}, t("host.col_host")), h("th", {}, t("host.col_conference")),
      kind === "scheduled" ? h("th", {}, t("host.col_readiness")) : null)),
    h("tbody", {}, items.map((s) => h("tr", { class: "clickable", "data-session": s.id, tabindex: 0,
      onclick: () => open(s), onkeydown: (ev) => { if (ev.key === "Enter") open(s); } },
      h("td", { class: "title" }, s.title),
      h("td", {}, badge(s.status, stateName(s.status))),
      h("td", {}, at(s.started_at || s.start_at)),
      kind === "scheduled" ? null : h("td", {}, at(s.ended_at)),
      h("td", { class: "num" }, people(s)),
      h("td", {}, s.host),
      h("td", { class: "mono" }, s.conference_id),
      kind === "scheduled" ? h("td", {}, h("a", { href: `#/ready/${s.id}`, class: "ready-link",
        onclick: (ev) => ev.stopPropagation(), onkeydown: (ev) => ev.stopPropagation() }, t("host.readiness"))) : null))));
}
