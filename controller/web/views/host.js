/**
 * The meeting host's console (compare Cisco TMS booking + conference control):
 *
 *   #/host                    sessions: live, scheduled, recently ended
 *   #/host/new                a new session: scope on the unit tree, saved scopes, start now or schedule
 *   #/host/<id>               the live participant board of one session
 *   #/host/<id>/attendance    who joined, when, for how long; CSV for the minutes
 *
 * The board is fed by sessions/{id}/events (a snapshot, then one event per
 * participant change). Tiles are kept per participant and updated in place,
 * so a click on a tile's button is never lost to a re-render of the board.
 */
import { h, fill, useStyle } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import "./host-i18n.js";
import { mountList } from "./host-list.js";
import { mountNew } from "./host-new.js";
import { mountBoard } from "./host-board.js";
import { mountAttendance } from "./host-attendance.js";

export async function mount(el, ctx, _route, id, sub) {
  useStyle("views/host.css");
  if (!id) return mountList(el, ctx);
  if (id === "new") return mountNew(el, ctx);
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) {
    // A mistyped link: say so, rather than a stream that would retry a 422 forever.
    fill(el, h("p", { class: "error", role: "alert" }, t("host.not_found")), h("a", { href: "#/host" }, t("host.back")));
    return () => {};
  }
  if (sub === "attendance") return mountAttendance(el, ctx, id);
  return mountBoard(el, ctx, id);
}
