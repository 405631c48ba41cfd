/**
 * The "Nhập CSV" tab: upload an inventory file to `POST endpoints/import` and
 * show the report, every bad row with its line, field, value and the API's
 * reason in the console's language (lib/row-errors.js words each code). All-or-nothing unless "only the valid rows" is ticked.
 */
import { h, fill, download } from "../lib/dom.js";
import { t } from "../lib/i18n.js";
import { rowErrorText } from "../lib/row-errors.js";

/** The importer's columns (controller/fleet/csv_import.py SPEC): required first. */
export const CSV_REQUIRED = ["name", "unit", "host", "port", "username", "password", "profile"];
export const CSV_OPTIONAL = ["host_key", "sip_uri", "description"];

/** A header-only file; the BOM makes Excel open it as UTF-8 (Vietnamese names survive). */
function template() {
  const header = [...CSV_REQUIRED, ...CSV_OPTIONAL].join(",");
  return new Blob(["\ufeff", `${header}\r\n`], { type: "text/csv;charset=utf-8" });
}

/** What the chosen file looks like before it is sent: data lines and the header found. */
async function preview(file) {
  const text = await file.slice(0, 256 * 1024).text();
  const lines = text.replace(/^\ufeff/, "").split(/\r?\n/).filter((l) => l.trim());
  return { header: lines[0] || "", rows: Math.max(0, lines.length - 1), partial: file.size > 256 * 1024 };
}

export function importTab(ctx, shared) {
  const file = h("input", { type: "file", id: "import-file", accept: ".csv,text/csv", "aria-label": t("tech.import_file") });
  const validOnly = h("input", { type: "checkbox", id: "import-valid-only" });
  const run = h("button", { type: "button", class: "primary", id: "import-run", disabled: true }, t("tech.import_run"));
  const info = h("p", { class: "muted", id: "import-preview" });
  const report = h("section", { class: "panel import-report", id: "import-report", hidden: true });

  file.addEventListener("change", async () => {
    const f = file.files[0];
    run.disabled = !f;
    report.hidden = true;
    if (!f) { info.textContent = ""; return; }
    const p = await preview(f);
    info.textContent = t(p.partial ? "tech.import_preview_partial" : "tech.import_preview", { name: f.name, rows: p.rows, header: p.header });
  });

  run.addEventListener("click", async () => {
    const f = file.files[0];
    if (!f) return;
    const body = new FormData();
    body.append("file", f, f.name);
    run.disabled = true;
    try {
      const r = await ctx.api.raw("endpoints/import", { method: "POST", body, query: { valid_only: validOnly.checked ? "true" : "" } });
      const result = await r.json();
      show(result, false);
      if (result.imported) {
        ctx.toast(t("tech.import_done", { n: result.imported }), "ok");
        shared.endpointsChanged();
      }
    } catch (err) {
      // A rejected file is a 422 whose `errors` are the bad rows; anything else is shown as the API said it.
      // (its English detail only counts what the summary and the rows already say)
      if (err.status === 422 && Array.isArray(err.problem?.errors)) show({ rows: err.problem.rows, imported: 0, errors: err.problem.errors, detail: err.problem.errors.length ? null : err.message }, true);
      else show({ rows: null, imported: 0, errors: [], detail: err.describe?.() || String(err) }, true);
    } finally {
      run.disabled = !file.files[0];
    }
  });

  function show(result, rejected) {
    const errors = result.errors || [];
    const lines = new Set(errors.map((e) => e.line)).size;
    report.hidden = false;
    report.dataset.imported = result.imported;
    report.dataset.rejected = rejected ? "true" : "false";
    fill(report,
      h("h2", {}, t("tech.import_report"),
        h("span", { class: `badge ${rejected ? "s-error" : errors.length ? "s-degraded" : "s-done"}` },
          rejected ? t("tech.import_rejected") : t("tech.import_accepted"))),
      h("p", { class: "summary" },
        h("strong", { id: "import-imported", "data-n": result.imported }, t("tech.import_imported", { n: result.imported })),
        result.rows != null ? ` · ${t("tech.import_rows", { n: result.rows })}` : "",
        errors.length ? ` · ${t("tech.import_bad_lines", { n: lines })}` : ""),
      result.detail ? h("p", { class: "error", id: "import-detail" }, result.detail) : null,
      rejected && errors.length ? h("p", { class: "muted" }, t("tech.import_nothing")) : null,
      // A long list scrolls in its box: focusable, so the keyboard scrolls it too.
      errors.length ? h("div", { class: "scroll", tabindex: 0, role: "region", "aria-label": t("tech.import_bad_rows") }, h("table", { id: "import-errors" },
        h("thead", {}, h("tr", {}, [t("tech.col_line"), t("tech.col_field"), t("tech.col_value"), t("tech.col_reason")].map((x) => h("th", {}, x)))),
        h("tbody", {}, errors.map((e) => h("tr", { "data-line": e.line, "data-field": e.field ?? "" },
          h("td", { class: "num" }, e.line),
          h("td", {}, e.field ? h("code", {}, e.field) : "—"),
          h("td", { class: "value" }, e.value ?? ""),
          h("td", { "data-code": e.code ?? "" }, rowErrorText(e))))))) : null);
  }

  const el = h("div", { class: "tech-import" },
    h("section", { class: "panel" },
      h("h2", {}, t("tech.import_title")),
      h("p", { class: "muted" }, t("tech.import_help")),
      h("p", {}, t("tech.import_columns"), " ",
        h("code", {}, CSV_REQUIRED.join(",")), " ", t("tech.import_optional"), " ", h("code", {}, CSV_OPTIONAL.join(","))),
      h("div", { class: "row" }, file,
        h("button", { type: "button", id: "import-template", onclick: () => download(template(), "diemcau-endpoints.csv") }, t("tech.import_template"))),
      info,
      h("label", { class: "choice" }, validOnly, t("tech.import_valid_only")),
      h("p", { class: "muted small" }, t("tech.import_all_or_nothing")),
      h("div", { class: "row" }, run)),
    report);
  return { el, stop() {} };
}
