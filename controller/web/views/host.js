/** Placeholder until the view is written. */
export function mount(el, ctx) {
  el.textContent = ctx.t("app.loading");
}
