/** The board's activity feed: the session's timeline, newest first, then each change as it happens. */
import { h, badge } from "../lib/dom.js";
import { t, stateName } from "../lib/i18n.js";
import { timeOfDay } from "../lib/format.js";
import { FEED_MAX, at, causeText } from "./host-common.js";
import "./host-i18n.js";

export function activityFeed(api, sessionId) {
  const feed = h("ol", { class: "feed", id: "host-feed" });
  const feedSeen = new Set();

  async function load() {
    try {
      let after = 0;
      const entries = [];
      for (let page = 0; page < 20; page += 1) {
        const rows = await api.get(`sessions/${sessionId}/timeline`, { after, limit: 1000 });
        entries.push(...rows);
        if (rows.length < 1000) break;
        after = rows[rows.length - 1].id;
      }
      for (const e of entries.slice(-FEED_MAX)) push(e);
    } catch { /* the feed is a convenience; the board itself is already correct */ }
  }

  function feedText(e) {
    const d = e.detail || {};
    switch (e.kind) {
      case "participant": return [h("b", {}, e.endpoint_name), " ", badge(d.state, stateName(d.state)), d.cause ? h("span", { class: "muted", "data-code": d.cause_code || "" }, ` ${causeText(d)}`) : null];
      case "muted": return t("host.feed_muted", { name: e.endpoint_name });
      case "unmuted": return t("host.feed_unmuted", { name: e.endpoint_name });
      case "action": {
        const action = t(`host.action.${d.action}`);
        return e.endpoint_name ? t("host.action_one", { by: d.by, action, name: e.endpoint_name })
          : t("host.action_all", { by: d.by, action, n: d.participants ?? "" });
      }
      case "started": return t("host.feed_started", { invited: d.invited ?? 0, unavailable: d.unavailable ?? 0 });
      case "ended": return t("host.feed_ended", { by: d.by || "" });
      case "cancelled": return t("host.feed_cancelled", { by: d.by || "" });
      case "scheduled": return t("host.feed_scheduled", { time: at(d.start_at) });
      default: return `${e.kind} ${d.reason || ""}`;
    }
  }

  /** Newest first; the live event and the same timeline row are shown once. */
  function push(e) {
    const key = `${e.kind}|${e.endpoint_name || ""}|${e.detail?.state || ""}|${Date.parse(e.at)}`;
    if (feedSeen.has(key)) return;
    feedSeen.add(key);
    const item = h("li", { "data-kind": e.kind, "data-endpoint": e.endpoint_name || null, "data-state": e.detail?.state || null, "data-at": Date.parse(e.at) },
      h("time", { datetime: e.at }, timeOfDay(e.at)),
      h("span", { class: "what" }, feedText(e)));
    const next = [...feed.children].find((li) => Number(li.dataset.at) < Date.parse(e.at));
    feed.insertBefore(item, next || null);
    while (feed.children.length > FEED_MAX) feed.lastChild.remove();
  }

  return { el: feed, push, load };
}
