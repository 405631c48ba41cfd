/**
 * The console's own dialogs: a modal yes/no in the console's look and language
 * (window.confirm can be neither styled nor translated), for every view.
 */
import { h } from "./dom.js";
import { t, register } from "./i18n.js";

register({
  vi: { "dialog.confirm": "Xác nhận", "dialog.cancel": "Hủy" },
  en: { "dialog.confirm": "Confirm", "dialog.cancel": "Cancel" },
});

/** A modal yes/no in the console's own look (window.confirm cannot be styled or translated). */
export function confirmBox(text, { ok = t("dialog.confirm"), danger = false } = {}) {
  return new Promise((resolve) => {
    const dlg = h("dialog", { class: "host-dialog", id: "host-confirm" },
      h("p", {}, text),
      h("div", { class: "row actions" },
        h("button", { type: "button", "data-confirm": "cancel", onclick: () => close(false) }, t("dialog.cancel")),
        h("button", { type: "button", class: danger ? "danger" : "primary", "data-confirm": "ok", onclick: () => close(true) }, ok)));
    function close(value) {
      if (!dlg.isConnected) return;
      dlg.close();
      dlg.remove();
      resolve(value);
    }
    dlg.addEventListener("cancel", (ev) => { ev.preventDefault(); close(false); });
    document.body.append(dlg);
    dlg.showModal();
    dlg.querySelector("[data-confirm=cancel]").focus();
  });
}

export function closeDialogs() {
  for (const d of document.querySelectorAll("dialog.host-dialog")) { d.close(); d.remove(); }
}
