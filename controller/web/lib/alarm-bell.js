/**
 * The alarm counter in the header, for every role on every view: how many active alarms
 * nobody has acknowledged yet, live (events/stream, alarm.* only), a link to the IOC view.
 * A new alarm flashes the counter and, when the user turned them on (kept in this
 * browser), plays a short tone and shows a browser notification: an IOC desk is not
 * always looking at the screen.
 */
import { h, fill } from "./dom.js";
import { t, register } from "./i18n.js";
import { stream, coalesce } from "./sse.js";
import { alarmText } from "./alarm-text.js";

register({
  vi: {
    "bell.count": "{n} cảnh báo chưa xác nhận",
    "bell.none": "Không có cảnh báo chưa xác nhận",
    "bell.sound": "Âm báo",
    "bell.notify": "Thông báo",
    "bell.sound_help": "Phát âm báo khi có cảnh báo mới",
    "bell.notify_help": "Hiện thông báo của trình duyệt khi có cảnh báo mới",
    "bell.notify_denied": "Trình duyệt đã chặn thông báo cho trang này",
    "bell.new": "Cảnh báo mới: {name}",
  },
  en: {
    "bell.count": "{n} unacknowledged alarms",
    "bell.none": "No unacknowledged alarm",
    "bell.sound": "Sound",
    "bell.notify": "Notify",
    "bell.sound_help": "Play a tone on a new alarm",
    "bell.notify_help": "Show a browser notification on a new alarm",
    "bell.notify_denied": "The browser blocks notifications for this page",
    "bell.new": "New alarm: {name}",
  },
});

const KEY = "diemcau.bell";

function prefs() {
  try { return JSON.parse(localStorage.getItem(KEY)) || {}; } catch { return {}; }
}

/** A short two-tone chime from the Web Audio API: no sound file to serve or cache. */
function chime() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  const ctx = new Ctx();
  [880, 660].forEach((freq, i) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.15, ctx.currentTime + i * 0.18);
    gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + i * 0.18 + 0.16);
    osc.connect(gain).connect(ctx.destination);
    osc.start(ctx.currentTime + i * 0.18);
    osc.stop(ctx.currentTime + i * 0.18 + 0.17);
  });
  setTimeout(() => ctx.close(), 600);
}

/** Mount into ``holder``; returns stop(). */
export function alarmBell(api, holder) {
  const settings = prefs();
  const count = h("a", { href: "#/ioc", class: "bell", id: "alarm-bell", "data-count": "0" });
  const toggle = (name) => h("button", { type: "button", class: "bell-toggle", "data-bell": name,
    "aria-pressed": String(Boolean(settings[name])), title: t(`bell.${name}_help`),
    onclick: (ev) => flip(name, ev.currentTarget) }, t(`bell.${name}`));
  fill(holder, count, toggle("sound"), toggle("notify"));

  async function flip(name, button) {
    let on = !settings[name];
    if (on && name === "notify" && "Notification" in window && Notification.permission !== "granted") {
      on = (await Notification.requestPermission()) === "granted";
      if (!on) button.title = t("bell.notify_denied");
    }
    settings[name] = on;
    localStorage.setItem(KEY, JSON.stringify(settings));
    button.setAttribute("aria-pressed", String(on));
    if (on && name === "sound") chime(); // the user hears what they turned on
  }

  const refresh = coalesce(async () => {
    try {
      const page = await api.get("alarms", { status: "active", acknowledged: false, limit: 1 });
      show(page.total);
    } catch { /* the view shows the API's trouble; the counter keeps its last value */ }
  }, 1000);

  function show(n) {
    count.dataset.count = String(n);
    count.textContent = `⚠ ${n}`;
    // The name holds the number shown (a screen reader says what the eye sees, WCAG 2.5.3).
    count.setAttribute("aria-label", t("bell.count", { n }));
    count.title = n ? t("bell.count", { n }) : t("bell.none");
    count.classList.toggle("zero", !n);
  }

  function raised(data) {
    count.classList.remove("flash");
    void count.offsetWidth; // restart the animation
    count.classList.add("flash");
    if (settings.sound) chime();
    if (settings.notify && "Notification" in window && Notification.permission === "granted") {
      new Notification(t("bell.new", { name: data.entity_name || "" }), { body: alarmText(data), tag: `diemcau-${data.id}` });
    }
  }

  show(0);
  refresh();
  const stop = stream(api, "events/stream", (type, data) => {
    if (!type.startsWith("alarm.")) return;
    if (type === "alarm.raised") raised(data);
    refresh();
  }, { query: { types: "alarm." }, onState: (s) => { if (s === "open") refresh(); } });
  return () => { stop(); refresh.cancel(); fill(holder); };
}
