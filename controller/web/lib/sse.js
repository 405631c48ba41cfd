/**
 * Server-sent events over fetch, because EventSource cannot send the bearer
 * token. Reconnects by itself with Last-Event-ID, so a dashboard that loses
 * the network for a minute misses nothing the outbox still holds.
 *
 *   const stop = stream(api, "events/stream", (type, data, id) => ..., { onState });
 *   stop();   // when the view goes away
 *
 * An event named `endOn` ("end" by default: a session board after the session is over)
 * is delivered, then the stream stops instead of reconnecting.
 */
export function stream(api, path, onEvent, { query = {}, onState = () => {}, retryMs = 2000, endOn = "end" } = {}) {
  const controller = new AbortController();
  let lastId = null;
  let stopped = false;

  async function once() {
    const headers = lastId ? { "Last-Event-ID": lastId } : {};
    const r = await api.raw(path, { query, headers, signal: controller.signal });
    onState("open");
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value.replace(/\r\n/g, "\n");
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let type = "message", id = null, data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") type = text;
          else if (field === "id") id = text;
          else if (field === "data") data += (data ? "\n" : "") + text;
        }
        if (!data) continue;
        if (id) lastId = id;
        let parsed = data;
        try { parsed = JSON.parse(data); } catch { /* plain text event */ }
        onEvent(type, parsed, id);
        if (type === endOn) { stopped = true; onState("ended"); return; } // e.g. a session is over
      }
    }
  }

  (async () => {
    while (!stopped) {
      try {
        await once();
        if (stopped) { controller.abort(); return; }
      } catch (err) {
        if (stopped) return;
        if (err?.status === 401 || err?.status === 403 || err?.status === 404) { onState("failed", err); return; }
      }
      if (stopped) return;
      onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  })();

  return () => { stopped = true; controller.abort(); };
}

/**
 * Call `fn` soon, once for any number of calls within `ms`; a call arriving
 * while `fn` runs schedules one more run, so the last change is never missed.
 */
export function coalesce(fn, ms) {
  let timer = null;
  let running = false;
  let again = false;
  const fire = async () => {
    timer = null;
    if (running) { again = true; return; }
    running = true;
    try { await fn(); } finally {
      running = false;
      if (again) { again = false; schedule(); }
    }
  };
  function schedule() { if (!timer) timer = setTimeout(fire, ms); }
  schedule.cancel = () => { clearTimeout(timer); timer = null; again = false; };
  return schedule;
}
