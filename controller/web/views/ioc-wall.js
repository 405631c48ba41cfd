/**
 * The camera wall: one WHEP player per camera, a page at a time, with each
 * camera's state, problems and thumbnail kept live.
 */
import { h, fill, badge } from "../lib/dom.js";
import { stateName } from "../lib/i18n.js";
import { WhepPlayer } from "../whep-player.js";
import { iceServers, playName, unplayable } from "../lib/playback.js";
import { problemName } from "../lib/vocabulary.js";
import { describe } from "../lib/format.js";
import "./ioc-i18n.js";

function cameraTile(ctx, cam) {
  const { api, t } = ctx;
  const video = h("video", { muted: true, autoplay: true, playsinline: true });
  video.setAttribute("muted", "");
  video.setAttribute("autoplay", "");
  const stateBadge = h("span", { class: "state" });
  const problems = h("span", { class: "problems" });
  const playState = h("span", { class: "play-state", role: "status" });
  const el = h("div", { class: "tile", "data-camera-id": cam.id, "data-state": cam.state, title: t("ioc.enlarge"), tabindex: 0 },
    video, problems, playState,
    h("div", { class: "caption" },
      h("span", { class: "name", title: `${cam.name} · ${cam.unit.name}` }, cam.name, h("span", { class: "unit muted" }, ` · ${cam.unit.name}`)),
      stateBadge,
      h("a", { class: "details", href: `#/camera/${cam.id}`, onclick: (ev) => ev.stopPropagation() }, t("ioc.details"))));
  let poster = null;
  let lastSample = null;
  let stopped = false;

  function setState(state) {
    el.dataset.state = state;
    fill(stateBadge, badge(state, stateName(state)));
  }
  setState(cam.state);

  const player = new WhepPlayer(video, new URL(`../whep/cameras/${cam.id}`, document.baseURI).href, () => api.freshToken(), {
    onStatus: ({ state, message, error }) => {
      el.dataset.play = state;
      playState.title = message;
      if (state === "unplayable") fill(playState, unplayable(ctx, error.problem));
      else playState.textContent = playName(state);
    },
  });

  /** State, problems and (while there is no live picture) the last sampled thumbnail. */
  async function refreshHealth() {
    let health;
    try {
      health = await api.get(`cameras/${cam.id}/health`);
    } catch {
      return; // the state badge keeps what the list or the event said
    }
    if (stopped) return;
    setState(health.state);
    el.dataset.problems = health.problems.join(" ");
    fill(problems, health.problems.map((p) => h("span", { class: "badge s-degraded", "data-problem": p }, problemName(p))));
    // Only ask for a thumbnail once a sample had a picture: before that the answer is a 404.
    if (health.last_ok_at && health.last_sample_at !== lastSample && el.dataset.play !== "playing") {
      lastSample = health.last_sample_at;
      try {
        const url = await api.imageUrl(`cameras/${cam.id}/thumbnail`);
        if (stopped) { URL.revokeObjectURL(url); return; }
        if (poster) URL.revokeObjectURL(poster);
        poster = video.poster = url;
      } catch { /* no thumbnail yet: the tile stays black */ }
    }
  }

  return {
    el,
    id: cam.id,
    start() {
      refreshHealth();
      iceServers(api).then((servers) => {
        if (stopped) return;
        player.options.iceServers = servers;
        player.start();
      });
    },
    refreshHealth,
    setState,
    stop() {
      stopped = true;
      if (poster) URL.revokeObjectURL(poster);
      return player.stop();
    },
  };
}

export function cameraWall(ctx) {
  const { api, t } = ctx;
  // The relay caps viewers (per camera and in total): a wall shows one page of players at a time.
  const perPage = window.innerWidth >= 1600 ? 16 : 9;
  let unit = null;
  let page = 0;
  let tiles = new Map(); // camera id → tile
  let loading = 0;
  let alive = true;

  const count = h("span", { class: "muted", id: "ioc-camera-count" });
  const scope = h("span", { class: "muted scope" });
  const pageLabel = h("span", { class: "muted page" });
  const prev = h("button", { type: "button", "aria-label": t("ioc.prev"), title: t("ioc.prev"), onclick: () => { page--; load(); } }, "‹");
  const next = h("button", { type: "button", "aria-label": t("ioc.next"), title: t("ioc.next"), onclick: () => { page++; load(); } }, "›");
  const pager = h("span", { class: "pager", hidden: true }, prev, pageLabel, next);
  const error = h("p", { class: "error", role: "alert", hidden: true });
  const wall = h("div", { class: "wall", id: "ioc-wall" });
  const empty = h("p", { class: "muted", hidden: true }, t("ioc.no_cameras"));
  const el = h("section", { class: "panel wall-panel", id: "ioc-wall-panel" },
    h("h2", {}, t("ioc.wall"), count, scope, h("span", { class: "spacer" }), pager), error, empty, wall);

  function shrink() {
    for (const tile of wall.querySelectorAll(".tile.enlarged")) tile.classList.remove("enlarged");
  }
  wall.addEventListener("click", (ev) => {
    const tile = ev.target.closest(".tile");
    if (!tile) return;
    const grow = !tile.classList.contains("enlarged");
    shrink();
    tile.classList.toggle("enlarged", grow);
  });
  const onKey = (ev) => { if (ev.key === "Escape") shrink(); };
  document.addEventListener("keydown", onKey);

  // On the video wall the panel has a fixed height: pick the column count that gives the
  // largest 16:9 tiles without scrolling. Elsewhere the page scrolls: a square-ish grid.
  const fitted = window.matchMedia("(min-width: 1600px) and (min-height: 700px)");
  function fit() {
    const n = tiles.size;
    if (!n) return;
    const gap = parseFloat(getComputedStyle(wall).columnGap) || 0;
    const width = wall.clientWidth;
    const height = wall.clientHeight;
    let best = { cols: Math.min(4, Math.ceil(Math.sqrt(n))), size: 0 };
    if (fitted.matches && height > 0) {
      for (let cols = 1; cols <= n; cols++) {
        const rows = Math.ceil(n / cols);
        const size = Math.min((width - gap * (cols - 1)) / cols, ((height - gap * (rows - 1)) / rows) * 16 / 9);
        if (size > best.size) best = { cols, size };
      }
    }
    wall.style.setProperty("--cols", String(best.cols));
    wall.style.setProperty("--tile-w", best.size ? `${Math.floor(best.size)}px` : "1fr");
  }
  const resized = new ResizeObserver(() => fit());
  resized.observe(wall);

  async function stopTiles() {
    const old = [...tiles.values()];
    tiles = new Map();
    await Promise.all(old.map((tile) => tile.stop()));
  }

  async function load() {
    const mine = ++loading;
    let data;
    try {
      data = await api.get("cameras", { unit: unit?.code, limit: perPage, offset: page * perPage });
    } catch (err) {
      error.textContent = t("ioc.wall_failed", { detail: describe(err) });
      error.hidden = false;
      return;
    }
    if (mine !== loading || !alive) return; // a newer choice of unit or page won
    error.hidden = true;
    const pages = Math.max(1, Math.ceil(data.total / perPage));
    if (page >= pages && data.total) { page = pages - 1; load(); return; }
    count.textContent = t("ioc.cameras_n", { n: data.total });
    pager.hidden = data.total <= perPage;
    pageLabel.textContent = t("ioc.page", { page: page + 1, pages });
    prev.disabled = page === 0;
    next.disabled = page + 1 >= pages;
    empty.hidden = data.items.length > 0;
    await stopTiles();
    if (mine !== loading || !alive) return;
    for (const cam of data.items) tiles.set(cam.id, cameraTile(ctx, cam));
    fill(wall, [...tiles.values()].map((tile) => tile.el));
    fit();
    for (const tile of tiles.values()) tile.start();
  }

  return {
    el,
    setUnit(u) { unit = u; page = 0; scope.textContent = u ? u.name : ""; return load(); },
    /** A camera.state event: the badge at once, then the problems (black, frozen) from its health. */
    onCameraState(id, data) {
      const tile = tiles.get(id);
      if (!tile) return;
      if (data?.new) tile.setState(data.new);
      tile.refreshHealth();
    },
    refreshAll() { for (const tile of tiles.values()) tile.refreshHealth(); },
    stop() {
      alive = false;
      document.removeEventListener("keydown", onKey);
      resized.disconnect();
      return stopTiles();
    },
  };
}
