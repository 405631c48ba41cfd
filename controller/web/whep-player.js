/**
 * WhepPlayer: play one camera from the controller's WHEP relay in a <video> element.
 *
 * Dependency-free ES module, used by player.html and meant for the console's camera wall.
 *
 *   import { WhepPlayer } from "./whep-player.js";
 *   const player = new WhepPlayer(video, "/whep/cameras/<uuid>", token, {
 *     onStatus: (s) => { statusLine.textContent = s.message; },
 *   });
 *   player.start();
 *   ...
 *   console.log(await player.stats());   // {decodedFrames, framesReceived, width, height, state, ...}
 *   await player.stop();                  // DELETEs the viewer on the controller
 *
 * The protocol (see controller/cameras/whep_api.py): POST the SDP offer as application/sdp with
 * "Authorization: Bearer <token>"; 201 brings the SDP answer and a Location to DELETE at the end.
 * The server does not support trickle ICE (PATCH answers 405), so the offer is sent only once
 * ICE gathering is complete, and the answer carries all of the server's candidates.
 *
 * The stream is the camera's own H.264, passed through without transcoding. The video is
 * receive-only: no camera or microphone is used. STUN/TURN servers come from the `iceServers`
 * option (the console asks GET /api/v1/relay/ice-servers first, so a network that only lets
 * TURN over TCP/TLS through works at the first attempt); without it, the servers a WHEP answer
 * advertises in its `Link: <turn:...>; rel="ice-server"` headers are used from the next attempt.
 * `iceTransportPolicy: "relay"` sends everything through TURN.
 *
 * States: "idle" → "connecting" → "playing"; "no_picture" while connected but no frame has been
 * shown for noPictureMs (the camera stopped sending: never "playing" over a frozen last frame),
 * back to "playing" when frames come again, and a reconnect after stallTimeoutMs; on any failure
 * "retrying" (with exponential backoff, honouring Retry-After) and back to "connecting";
 * "unplayable" when the controller refuses the camera's stream as one browsers cannot play
 * (409 stream-unplayable: H.265, B-frames; `error.problem` holds the reason, the codec and
 * whether ONVIF provisioning can fix it), asked again every unplayableRetryMs in case someone
 * fixed the camera; "failed" when retrying cannot help (bad token, no such camera, no H.264 in
 * this browser); "stopped" after stop().
 * Every change is reported to onStatus({state, message, error}) and as a "status" event;
 * messages are Vietnamese first, English second.
 *
 * Long because: player.html loads it alone, with no other module: the WHEP exchange, the
 * retries, the statistics and the verdict on an unplayable stream are one dependency-free file.
 */

/** Statuses that another attempt with the same token and URL cannot fix. */
const FATAL_HTTP = new Set([400, 401, 403, 404, 415]);

const MESSAGES = {
  idle: "Chưa phát / Not started",
  connecting: "Đang kết nối… / Connecting…",
  playing: "Đang phát / Playing",
  no_picture: "Camera không gửi hình / The camera sends no picture",
  stopped: "Đã dừng / Stopped",
};

/** A short bilingual text for an HTTP refusal of the offer. */
function httpMessage(status, detail) {
  const why = {
    400: "Yêu cầu không hợp lệ / Bad request",
    401: "Phiên đăng nhập hết hạn hoặc mã truy cập không hợp lệ / Session expired or invalid token",
    403: "Không có quyền xem camera này / Not allowed to watch this camera",
    404: "Không tìm thấy camera / Camera not found",
    409: "Camera đang bị tắt / Camera is disabled",
    415: "Máy chủ không nhận định dạng SDP / Server refused the SDP format",
    503: "Quá nhiều người đang xem, sẽ thử lại / Too many viewers, retrying",
  }[status] || `Máy chủ trả lỗi ${status} / Server answered ${status}`;
  return detail ? `${why} (${detail})` : why;
}

/**
 * The RTCIceServers of WHEP `Link` headers (RFC 9725 section 4.6; fetch joins several headers
 * with ", "): <turn:host:3478?transport=tcp>; rel="ice-server"; username="u"; credential="c"
 */
export function parseIceLinks(header) {
  const servers = [];
  if (!header) return servers;
  const link = /<([^>]*)>((?:\s*;\s*[\w-]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^;,\s]*))*)/g;
  const param = /;\s*([\w-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;,\s]*))/g;
  for (const [, url, params] of header.matchAll(link)) {
    const p = {};
    for (const [, key, quoted, bare] of params.matchAll(param)) {
      p[key.toLowerCase()] = quoted !== undefined ? quoted.replace(/\\(.)/g, "$1") : bare;
    }
    if (p.rel !== "ice-server") continue;
    const server = { urls: url };
    if (p.username !== undefined && p.credential !== undefined) {
      server.username = p.username;
      server.credential = p.credential;
    }
    servers.push(server);
  }
  return servers;
}

/** The bilingual reason a camera's stream is refused (a stream-unplayable problem) and the fix. */
export function unplayableMessage(problem) {
  const codec = problem.codec || "?";
  const bFrames = problem.reason === "b_frames";
  const why = bFrames
    ? `Camera gửi H.264 có B-frame, trình duyệt hiển thị sai thứ tự / The camera sends H.264 with B-frames, which browsers show out of order`
    : `Không phát được luồng ${codec} của camera trong trình duyệt, bộ chuyển tiếp chỉ chuyển H.264 / The camera's ${codec} stream cannot be played in a browser: the relay passes H.264 only`;
  const fix = bFrames
    ? "Hãy tắt B-frame trên trang web của camera (hoặc chọn H.264 baseline) / Turn B-frames off on the camera's web page (or choose H.264 baseline)"
    : "Hãy đặt luồng phụ của camera về H.264 baseline/main"
      + (problem.onvif ? " (Cấu hình camera qua ONVIF làm được việc này)" : "")
      + " / Set the camera's sub-stream to H.264 baseline/main"
      + (problem.onvif ? " (camera provisioning over ONVIF can do it)" : "");
  return `${why}. ${fix}.`;
}

export class WhepError extends Error {
  /**
   * @param {string} message bilingual text, shown to the user
   * @param {{status?: number, fatal?: boolean, retryAfterMs?: number}} [info]
   */
  constructor(message, { status = 0, fatal = false, retryAfterMs = 0, problem = null } = {}) {
    super(message);
    this.name = "WhepError";
    this.status = status;
    this.fatal = fatal;
    this.retryAfterMs = retryAfterMs;
    /** the controller's problem details (RFC 9457), when it sent some */
    this.problem = problem;
  }
}

export class WhepPlayer extends EventTarget {
  /**
   * @param {HTMLVideoElement} video where the camera is shown
   * @param {string} url WHEP endpoint, e.g. "/whep/cameras/<uuid>"
   * @param {string|(() => string|Promise<string>)} token bearer token of the user watching, or a
   *        function giving the current one (the console renews its tokens: a reconnect after
   *        an hour must not send the token it started with)
   * @param {object} [options]
   * @param {(s: {state: string, message: string, error: Error|null}) => void} [options.onStatus]
   * @param {number} [options.retryMinMs=1000] first retry delay
   * @param {number} [options.retryMaxMs=30000] longest retry delay
   * @param {number} [options.maxRetries=Infinity] attempts after the first before giving up
   * @param {number} [options.iceGatherTimeoutMs=5000] send the offer anyway after this long
   * @param {number} [options.connectTimeoutMs=15000] give up an attempt not playing after this long
   * @param {number} [options.stallTimeoutMs=20000] reconnect if no frame is decoded for this long
   *        while connected (0 disables)
   * @param {number} [options.noPictureMs=3000] leave "playing" for "no_picture" after this long
   *        without a new frame
   * @param {number} [options.unplayableRetryMs=60000] ask again this long after a refusal of the
   *        camera's stream as unplayable
   * @param {RTCIceServer[]} [options.iceServers=[]] STUN/TURN servers (see the top of this file)
   * @param {"all"|"relay"} [options.iceTransportPolicy="all"] "relay": TURN only
   */
  constructor(video, url, token, options = {}) {
    super();
    this.video = video;
    this.url = url;
    this.token = token;
    this.lastToken = typeof token === "function" ? "" : token;
    this.options = {
      retryMinMs: 1000,
      retryMaxMs: 30000,
      maxRetries: Infinity,
      iceGatherTimeoutMs: 5000,
      connectTimeoutMs: 15000,
      stallTimeoutMs: 20000,
      noPictureMs: 3000,
      unplayableRetryMs: 60000,
      iceServers: [],
      iceTransportPolicy: "all",
      onStatus: null,
      ...options,
    };
    this.state = "idle";
    this.error = null;
    this.attempts = 0;
    /** ms from start() (or from the latest reconnect) to the first frame shown, or null */
    this.firstFrameMs = null;
    /** ms from the start of the current attempt to: iceGathered, answered, connected, firstFrame */
    this.timings = {};
    this.pc = null;
    this.location = null;
    this._session = 0; // bumped by every (re)connect and by stop(): stale callbacks check it
    this._timers = new Set();
    this._lastDecoded = 0;
    this._lastProgressAt = 0;
    this._watchdog = null;
    /** STUN/TURN servers a WHEP answer advertised (Link headers), for the next attempt */
    this.advertisedIceServers = [];

    video.muted = true;
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute("playsinline", "");
  }

  /** Start playing (again after stop() or "failed"); progress and errors go to onStatus. */
  start() {
    if (this.state !== "idle" && this.state !== "stopped" && this.state !== "failed") return;
    this.attempts = 0;
    this._connect();
  }

  /** Stop playing and end the viewer on the controller (DELETE of the Location). */
  async stop() {
    this._session++;
    this._clearTimers();
    this._setState("stopped");
    await this._teardown();
  }

  /**
   * What the browser receives and shows.
   * @returns {Promise<{decodedFrames: number, framesReceived: number, framesDropped: number,
   *   width: number, height: number, state: string, connectionState: string,
   *   bytesReceived: number, packetsLost: number, codec: string, firstFrameMs: number|null,
   *   attempts: number, error: string|null}>}
   */
  async stats() {
    const out = {
      decodedFrames: 0,
      framesReceived: 0,
      framesDropped: 0,
      width: this.video.videoWidth || 0,
      height: this.video.videoHeight || 0,
      state: this.state,
      connectionState: this.pc ? this.pc.connectionState : "closed",
      bytesReceived: 0,
      packetsLost: 0,
      codec: "",
      firstFrameMs: this.firstFrameMs,
      timings: { ...this.timings },
      attempts: this.attempts,
      error: this.error ? this.error.message : null,
    };
    if (typeof this.video.getVideoPlaybackQuality === "function") {
      const q = this.video.getVideoPlaybackQuality();
      out.decodedFrames = q.totalVideoFrames;
      out.framesDropped = q.droppedVideoFrames;
    }
    const pc = this.pc;
    if (pc) {
      try {
        const report = await pc.getStats();
        report.forEach((s) => {
          if (s.type !== "inbound-rtp" || s.kind !== "video") return;
          out.decodedFrames = Math.max(out.decodedFrames, s.framesDecoded || 0);
          out.framesReceived = s.framesReceived || 0;
          out.bytesReceived = s.bytesReceived || 0;
          out.packetsLost = s.packetsLost || 0;
          if (!out.width && s.frameWidth) out.width = s.frameWidth;
          if (!out.height && s.frameHeight) out.height = s.frameHeight;
          const codec = s.codecId && report.get(s.codecId);
          if (codec) out.codec = `${codec.mimeType} ${codec.sdpFmtpLine || ""}`.trim();
        });
      } catch {
        // the connection was closed meanwhile: the counters above are what is known
      }
    }
    return out;
  }

  // --- internals -------------------------------------------------------------------------------

  _setState(state, error = null) {
    this.state = state;
    this.error = error;
    const message = error ? error.message : MESSAGES[state] || state;
    const detail = { state, message, error };
    if (typeof this.options.onStatus === "function") {
      try {
        this.options.onStatus(detail);
      } catch (e) {
        console.warn("WhepPlayer onStatus handler failed", e);
      }
    }
    this.dispatchEvent(new CustomEvent("status", { detail }));
  }

  _later(fn, ms) {
    const id = setTimeout(() => {
      this._timers.delete(id);
      fn();
    }, ms);
    this._timers.add(id);
    return id;
  }

  _clearTimers() {
    for (const id of this._timers) clearTimeout(id);
    this._timers.clear();
    if (this._watchdog) clearInterval(this._watchdog);
    this._watchdog = null;
  }

  async _connect() {
    const session = ++this._session;
    this._clearTimers();
    await this._teardown();
    if (session !== this._session) return;
    this._setState("connecting");
    const started = performance.now();
    this.firstFrameMs = null;
    this.timings = {};
    try {
      await this._negotiate(session, started);
      if (session !== this._session) return;
      this._later(() => {
        if (session === this._session && this.state === "connecting") {
          this._fail(session, new WhepError("Hết thời gian chờ kết nối / Connection timed out"));
        }
      }, this.options.connectTimeoutMs);
    } catch (err) {
      this._fail(session, err);
    }
  }

  async _negotiate(session, started) {
    const iceServers = this.options.iceServers.length ? this.options.iceServers : this.advertisedIceServers;
    const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: this.options.iceTransportPolicy });
    this.pc = pc;
    const transceiver = pc.addTransceiver("video", { direction: "recvonly" });
    this._preferH264(transceiver);

    pc.ontrack = (event) => {
      if (session !== this._session) return;
      this.video.srcObject = event.streams[0] || new MediaStream([event.track]);
      this._watchFirstFrame(session, started);
      const playing = this.video.play();
      if (playing && playing.catch) {
        playing.catch((e) => {
          // muted autoplay is allowed everywhere; report anything else but keep the connection
          if (session === this._session && e.name !== "AbortError") {
            this._setState(this.state, new WhepError(`Không phát được video / Cannot play video (${e.name})`));
          }
        });
      }
    };
    pc.onconnectionstatechange = () => {
      if (session !== this._session) return;
      if (pc.connectionState === "connected" && this.timings.connected === undefined) {
        this.timings.connected = Math.round(performance.now() - started);
      }
      if (pc.connectionState === "failed") {
        this._fail(session, new WhepError("Mất kết nối tới máy chủ / Connection to the server failed"));
      } else if (pc.connectionState === "disconnected") {
        // often transient: give ICE a few seconds to recover before starting again
        this._later(() => {
          if (session === this._session && pc.connectionState === "disconnected") {
            this._fail(session, new WhepError("Mất kết nối tới máy chủ / Connection to the server lost"));
          }
        }, 5000);
      }
    };

    await pc.setLocalDescription(await pc.createOffer());
    await this._iceGatheringComplete(pc);
    if (session !== this._session) return;
    this.timings.iceGathered = Math.round(performance.now() - started);

    let response;
    try {
      const token = await this._bearer();
      response = await fetch(this.url, {
        method: "POST",
        headers: { "Content-Type": "application/sdp", Authorization: `Bearer ${token}` },
        body: pc.localDescription.sdp,
        cache: "no-store",
      });
    } catch (e) {
      throw new WhepError(`Không liên lạc được máy chủ / Cannot reach the server (${e.message})`);
    }
    if (response.status !== 201) {
      let detail = "";
      let problem = null;
      try {
        problem = await response.json(); // RFC 9457 problem details
        detail = problem.detail || problem.title || "";
      } catch {
        // not JSON: the status says enough
      }
      if (problem && problem.type === "urn:diemcau:problem:stream-unplayable") {
        throw new WhepError(unplayableMessage(problem), { status: response.status, problem });
      }
      const retryAfter = Number(response.headers.get("Retry-After"));
      throw new WhepError(httpMessage(response.status, detail), {
        status: response.status,
        fatal: FATAL_HTTP.has(response.status),
        retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 0,
      });
    }
    this.advertisedIceServers = parseIceLinks(response.headers.get("Link"));
    const location = response.headers.get("Location");
    // Location is relative to the WHEP URL, which itself may be relative to the page
    this.location = location ? new URL(location, new URL(this.url, document.baseURI)).href : null;
    const answer = await response.text();
    this.timings.answered = Math.round(performance.now() - started);
    if (session !== this._session) {
      this._deleteViewer(this.location); // stopped while the POST was in flight
      return;
    }
    await pc.setRemoteDescription({ type: "answer", sdp: answer });
  }

  /** Offer H.264 first (the relay passes the camera's H.264 through and answers nothing else). */
  _preferH264(transceiver) {
    if (typeof transceiver.setCodecPreferences !== "function" || !window.RTCRtpReceiver?.getCapabilities) return;
    const codecs = RTCRtpReceiver.getCapabilities("video")?.codecs || [];
    const h264 = codecs.filter((c) => c.mimeType.toLowerCase() === "video/h264");
    if (!h264.length) {
      throw new WhepError("Trình duyệt không hỗ trợ H.264 / This browser cannot decode H.264", { fatal: true });
    }
    const rtx = codecs.filter((c) => c.mimeType.toLowerCase() === "video/rtx");
    try {
      transceiver.setCodecPreferences([...h264, ...rtx]);
    } catch (e) {
      console.warn("WhepPlayer: setCodecPreferences refused", e);
    }
  }

  /** Resolve when ICE gathering is complete, or after iceGatherTimeoutMs with what there is. */
  _iceGatheringComplete(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        if (pc.iceGatheringState !== "complete" && !timedOut) return;
        pc.removeEventListener("icegatheringstatechange", done);
        clearTimeout(timer);
        resolve();
      };
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        done();
      }, this.options.iceGatherTimeoutMs);
      pc.addEventListener("icegatheringstatechange", done);
    });
  }

  /** "playing" once a frame is actually shown; then watch that frames keep coming. */
  _watchFirstFrame(session, started) {
    const shown = () => {
      if (session !== this._session || this.state === "playing") return;
      this.firstFrameMs = this.timings.firstFrame = Math.round(performance.now() - started);
      this.attempts = 0; // a successful connection resets the backoff
      this._setState("playing");
      this._startWatchdog(session);
    };
    if (typeof this.video.requestVideoFrameCallback === "function") {
      this.video.requestVideoFrameCallback(() => shown());
    } else {
      this.video.addEventListener("loadeddata", shown, { once: true });
    }
  }

  _startWatchdog(session) {
    const { stallTimeoutMs: stallMs, noPictureMs } = this.options;
    this._lastDecoded = 0;
    this._lastProgressAt = performance.now();
    this._watchdog = setInterval(async () => {
      if (session !== this._session) return;
      const s = await this.stats();
      if (session !== this._session) return;
      const now = performance.now();
      if (s.decodedFrames > this._lastDecoded) {
        this._lastDecoded = s.decodedFrames;
        this._lastProgressAt = now;
        if (this.state === "no_picture") this._setState("playing");
      } else if (stallMs && now - this._lastProgressAt > stallMs) {
        this._fail(session, new WhepError("Hình ảnh bị đứng, đang kết nối lại / Video stalled, reconnecting"));
      } else if (noPictureMs && now - this._lastProgressAt > noPictureMs && this.state === "playing") {
        this._setState("no_picture");
      }
    }, 500);
  }

  _fail(session, err) {
    if (session !== this._session) return;
    const error = err instanceof WhepError ? err : new WhepError(`Lỗi / Error: ${err && err.message ? err.message : err}`);
    console.warn("WhepPlayer:", error.message);
    this._session++; // everything of the failed attempt is now stale
    this._clearTimers();
    this._teardown();
    if (error.fatal || this.attempts >= this.options.maxRetries) {
      this._setState("failed", error);
      return;
    }
    if (error.problem && error.problem.type === "urn:diemcau:problem:stream-unplayable") {
      this._setState("unplayable", error); // no use retrying soon: the camera must be changed
      const again = this._session;
      this._later(() => {
        if (again === this._session) this._connect();
      }, this.options.unplayableRetryMs);
      return;
    }
    const { retryMinMs, retryMaxMs } = this.options;
    const backoff = Math.min(retryMaxMs, retryMinMs * 2 ** this.attempts);
    const delay = Math.max(error.retryAfterMs, backoff * (0.75 + Math.random() * 0.5));
    this.attempts++;
    const seconds = Math.ceil(delay / 1000);
    this._setState(
      "retrying",
      new WhepError(`${error.message} — thử lại sau ${seconds} giây / retrying in ${seconds} s`, {
        status: error.status,
      }),
    );
    const retrySession = this._session;
    this._later(() => {
      if (retrySession === this._session) this._connect();
    }, delay);
  }

  async _teardown() {
    const pc = this.pc;
    const location = this.location;
    this.pc = null;
    this.location = null;
    if (pc) {
      pc.ontrack = null;
      pc.onconnectionstatechange = null;
    }
    if (this.video.srcObject) this.video.srcObject = null;
    // DELETE before closing: a closed connection makes the controller drop the viewer by itself,
    // and a DELETE arriving after that would be answered 404 (an error in the browser console).
    if (location) await this._deleteViewer(location);
    if (pc) pc.close();
  }

  /** The token to send now (a function's answer, else the one given). */
  async _bearer() {
    if (typeof this.token === "function") this.lastToken = await this.token();
    return this.lastToken;
  }

  async _deleteViewer(location) {
    if (!location) return;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 3000); // an unreachable server must not hold stop()
    // the current token (the offer's may have expired since), unless a renewal keeps it waiting
    const token = await Promise.race([this._bearer(), new Promise((r) => setTimeout(() => r(this.lastToken), 1000))]);
    try {
      await fetch(location, {
        method: "DELETE",
        headers: { Authorization: `Bearer ${token}` },
        keepalive: true, // still sent when the page is being closed
        signal: abort.signal,
      });
    } catch {
      // the controller also ends viewers whose connection closes or never completes
    } finally {
      clearTimeout(timer);
    }
  }
}
