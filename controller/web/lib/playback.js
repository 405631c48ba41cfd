/**
 * Playing a camera in the browser, for every view that shows one (the IOC wall, a
 * camera's page): the controller's ICE servers, the player's states in words, and
 * why a stream cannot play here with what fixes it.
 */
import { h } from "./dom.js";
import { register, t } from "./i18n.js";

register({
  vi: {
    "play.idle": "Chưa phát",
    "play.connecting": "Đang kết nối…",
    "play.playing": "Đang phát",
    "play.retrying": "Đang thử lại…",
    "play.failed": "Không phát được",
    "play.stopped": "Đã dừng",
    "play.no_picture": "Camera không gửi hình",
    "play.unplayable": "Không phát được luồng {codec} trong trình duyệt",
    "unplayable.b_frames": "Luồng H.264 có B-frame: trình duyệt hiển thị sai",
    "unplayable.fix": "Đặt luồng phụ về H.264 baseline/main",
    "unplayable.fix_b_frames": "Tắt B-frame trên trang web của camera",
    "unplayable.provision": "Cấu hình camera",
  },
  en: {
    "play.idle": "Not started",
    "play.connecting": "Connecting…",
    "play.playing": "Playing",
    "play.retrying": "Retrying…",
    "play.failed": "Cannot play",
    "play.stopped": "Stopped",
    "play.no_picture": "The camera sends no picture",
    "play.unplayable": "This {codec} stream cannot play in a browser",
    "unplayable.b_frames": "H.264 with B-frames: browsers show it out of order",
    "unplayable.fix": "Set the sub-stream to H.264 baseline/main",
    "unplayable.fix_b_frames": "Turn B-frames off on the camera's web page",
    "unplayable.provision": "Provision the camera",
  },
});

/** A WHEP player's state (idle, connecting, playing, ...) in words. */
export const playName = (state) => t(`play.${state}`);

let iceServersAsked = null;

/** The controller's STUN/TURN servers for WHEP players, asked once per page (none on failure:
 * the WHEP answers' Link headers still tell them). */
export function iceServers(api) {
  iceServersAsked ||= api.get("relay/ice-servers").catch(() => []);
  return iceServersAsked;
}

const PROVISION_ROLES = ["admin", "technician"]; // POST /provisioning/cameras (controller/cameras/api.py)

/** Why a camera's stream cannot play here and what fixes it; with the way to the fix for those
 * who may provision cameras, when the camera has ONVIF. */
export function unplayable(ctx, problem) {
  const why = problem.reason === "b_frames" ? t("unplayable.b_frames") : t("play.unplayable", { codec: problem.codec });
  const fix = problem.reason === "b_frames" ? t("unplayable.fix_b_frames") : t("unplayable.fix");
  const parts = [h("strong", {}, why), h("span", {}, fix)];
  if (problem.onvif && PROVISION_ROLES.includes(ctx.user.role)) {
    parts.push(h("a", { class: "button", href: "#/tech/provision", onclick: (ev) => ev.stopPropagation() }, t("unplayable.provision")));
  }
  return h("span", { class: "unplayable", "data-reason": problem.reason, "data-codec": problem.codec }, ...parts);
}
