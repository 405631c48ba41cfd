/**
 * The full-page camera player: /console/player.html#camera=<uuid>&token=<jwt>
 * (a module file, not an inline script: the Content-Security-Policy allows no inline code).
 */
import { WhepPlayer } from "./whep-player.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const video = document.getElementById("video");
const statusLine = document.getElementById("status");
const params = new URLSearchParams(location.hash.slice(1));
const camera = params.get("camera") || "";
const token = params.get("token") || "";

window.__player = { state: "idle", decodedFrames: 0, framesReceived: 0, width: 0, height: 0, error: null };
let message = "";

function show(text, kind = "") {
  statusLine.textContent = text;
  statusLine.className = kind;
}

/** The controller's STUN/TURN servers for this user; none if it has none or cannot say. */
async function fetchIceServers(token) {
  try {
    const r = await fetch(new URL("../api/v1/relay/ice-servers", document.baseURI).href, {
      headers: { Authorization: `Bearer ${token}` },
      cache: "no-store",
    });
    return r.ok ? await r.json() : [];
  } catch {
    return []; // the WHEP answer's Link headers still tell them, from the next attempt
  }
}

function fatal(text) {
  window.__player = { ...window.__player, state: "failed", error: text };
  show(text, "error");
}

if (!UUID.test(camera)) {
  fatal("Thiếu hoặc sai mã camera trong địa chỉ (#camera=…) / Missing or invalid camera id in the URL (#camera=…)");
} else if (!token) {
  fatal("Thiếu mã truy cập trong địa chỉ (#token=…) / Missing access token in the URL (#token=…)");
} else {
  const url = new URL(`../whep/cameras/${camera}`, document.baseURI).href;
  const iceServers = await fetchIceServers(token);
  const player = new WhepPlayer(video, url, token, {
    iceServers,
    iceTransportPolicy: params.get("ice") === "relay" ? "relay" : "all",
    onStatus: (s) => {
      message = s.message;
      const kind = { failed: "error", unplayable: "error", retrying: "retrying", no_picture: "retrying" }[s.state];
      show(message, kind || "");
    },
  });
  window.__whep = player; // for debugging and tests: window.__whep.stop()

  const refresh = async () => {
    const s = await player.stats();
    window.__player = { camera, ...s, message };
    if (s.state === "playing") {
      show(
        `Đang phát / Playing — ${s.width}×${s.height}, ${s.decodedFrames} khung hình / frames` +
          ` (${s.framesDropped} bỏ / dropped)${s.codec ? ` — ${s.codec}` : ""}`,
      );
    }
  };
  setInterval(refresh, 500);
  addEventListener("pagehide", () => player.stop());
  addEventListener("hashchange", () => location.reload());
  player.start();
  refresh();
}
