"""The unit picker (lib/unit-picker.js) and the host's searchable scope tree, in real Chromium.

One unit out of ~220 is typed, not scrolled for: what the picker lists for a text must be
exactly the units whose folded name or code holds it (accents and case aside, as a
Vietnamese user types) plus their ancestors, picked from the keyboard or the mouse, and the
device list it filters must then hold the API's rows for that unit. In the host's
new-session form a unit's name ticks its box and the tree can be searched the same way.

The demo province: the four-level example tree (central → province → 10 districts → 209
communes), its 24 endpoints all at the province ("DEMO"), so a commune counts 0.
"""

from __future__ import annotations

import unicodedata

import httpx
from playwright.sync_api import Page, expect

from tests.console.conftest import Province, open_console, pick_unit, screenshot
from tests.console.test_accessibility import check, verdict, with_axe


def fold(text: str) -> str:
    """The console's folding (lib/format.js fold): no accents, đ → d, lower case."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return bare.replace("đ", "d").replace("Đ", "D").lower()


def units(api: httpx.Client) -> list[tuple[dict, str | None]]:
    """Every unit depth first (the tree's order) with its parent's code."""
    out: list[tuple[dict, str | None]] = []

    def walk(nodes: list[dict], parent: str | None) -> None:
        for node in nodes:
            out.append((node, parent))
            walk(node.get("children") or [], node["code"])

    walk(api.get("/units/tree").raise_for_status().json(), None)
    return out


def expected_rows(api: httpx.Client, text: str) -> tuple[list[str], list[str]]:
    """What the picker must list for ``text``: (every row in tree order, the matches)."""
    tree = units(api)
    parent = {node["code"]: up for node, up in tree}
    q = " ".join(fold(text).split())
    matched = [n["code"] for n, _ in tree if q in fold(n["name"]) or q in fold(n["code"])]
    keep = set()
    for code in matched:
        while code and code not in keep:
            keep.add(code)
            code = parent[code]
    return [n["code"] for n, _ in tree if n["code"] in keep], matched


def shown_rows(page: Page, picker: str) -> list[str]:
    return page.eval_on_selector_all(
        f"{picker} [role=option]:not([hidden])", "els => els.map((e) => e.dataset.code)"
    )


def total(api: httpx.Client, unit: str) -> int:
    return api.get("/endpoints", params={"unit": unit, "limit": 1}).raise_for_status().json()["total"]


def wait_total(page: Page, n: int) -> None:
    expect(page.locator("#list-count")).to_have_attribute("data-total", str(n))


def test_device_list_unit_picker_filters_by_folded_text(browser, province: Province):
    api = province.api("ioc_viewer")
    rows, matched = expected_rows(api, "xa 1.0")
    # "Xã 1.01" … "Xã 1.09" (not "Xã 10.01", not "Xã 1.10"), and the tree above them.
    assert len(matched) >= 2 and all(c.startswith("DEMO-H01-X0") for c in matched), matched
    assert rows == ["TW", "DEMO", "DEMO-H01", *matched]
    province_total = total(api, "")
    page = with_axe(open_console(browser, province, "ioc_viewer"), province)
    problems: list[str] = []
    picker = "[data-unit-picker=list-unit]"
    box = page.locator("#list-unit-input")
    try:
        page.goto(f"{province.url}/console/#/list/endpoints")
        wait_total(page, province_total)
        expect(box).to_have_attribute("role", "combobox")
        expect(box).to_have_attribute("aria-expanded", "false")
        expect(box).to_have_attribute("aria-autocomplete", "list")
        listbox = page.locator(f"#{box.get_attribute('aria-controls')}")
        expect(listbox).to_have_attribute("role", "listbox")

        # Typed without accents: the matches and their ancestors, those greyed and not pickable.
        box.click()
        page.keyboard.type("xa 1.0")
        expect(box).to_have_attribute("aria-expanded", "true")
        assert shown_rows(page, picker) == rows
        context = page.eval_on_selector_all(
            f"{picker} [role=option][aria-disabled=true]:not([hidden])",
            "els => els.map((e) => e.dataset.code)",
        )
        assert context == ["TW", "DEMO", "DEMO-H01"]
        # The first match is active; the arrow moves to the next, Escape puts everything back.
        active = lambda: page.eval_on_selector(  # noqa: E731
            "#list-unit-input",
            "b => document.getElementById(b.getAttribute('aria-activedescendant'))?.dataset.code",
        )
        assert active() == matched[0]
        page.keyboard.press("ArrowDown")
        assert active() == matched[1]
        screenshot(page, "unit-picker")
        check(page, province, "unit-picker-open", {"width": 1366, "height": 768}, problems)
        page.keyboard.press("Escape")
        expect(box).to_have_attribute("aria-expanded", "false")
        expect(listbox).to_be_hidden()
        expect(box).to_have_value("")
        assert page.input_value("#list-unit") == ""
        assert "unit=" not in page.url

        # Arrow down and Enter pick: the address carries the unit and the list holds its rows.
        page.keyboard.type("XÃ 1.0")  # case and accents are the user's business
        assert shown_rows(page, picker) == rows
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
        chosen = matched[1]
        page.wait_for_url(f"**/console/#/list/endpoints?unit={chosen}")
        wait_total(page, total(api, chosen))
        expect(page.locator("#list-unit")).to_have_value(chosen)
        name = next(n["name"] for n, _ in units(api) if n["code"] == chosen)
        expect(page.locator("#list-unit-input")).to_have_value(f"{name} ({chosen})")

        # A click picks too: the province by its code, whose endpoints are the province's.
        page.click("#list-unit-input")
        page.keyboard.type("demo")
        expect(page.locator(f'{picker} [role=option][data-code="DEMO"]')).to_be_visible()
        page.click(f'{picker} [role=option][data-code="DEMO"]')
        page.wait_for_url("**/console/#/list/endpoints?unit=DEMO")
        wait_total(page, total(api, "DEMO"))
        assert total(api, "DEMO") > 0

        # The blank choice (the whole province) clears the filter; so does emptying the box.
        pick_unit(page, "#list-unit", "")
        page.wait_for_url("**/console/#/list/endpoints")
        wait_total(page, province_total)
        pick_unit(page, "#list-unit", "DEMO-H02")
        page.wait_for_url("**/console/#/list/endpoints?unit=DEMO-H02")
        page.fill("#list-unit-input", "")
        page.keyboard.press("Tab")
        page.wait_for_url("**/console/#/list/endpoints")
        wait_total(page, province_total)
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        page.context.close()
        api.close()
    verdict(problems)


def scope_count(page: Page) -> int:
    return int(page.get_attribute("#host-scope-count", "data-count"))


def visible_units(page: Page, codes: list[str]) -> dict[str, bool]:
    return {c: page.locator(f"#host-unit-tree li[data-unit='{c}']").is_visible() for c in codes}


def test_host_scope_tree_names_tick_and_search(browser, province: Province):
    api = province.api("host")
    tree = units(api)
    districts = [n["code"] for n, _ in tree if n["level"] == "district"]
    assert len(districts) == 10
    demo_total = total(api, "DEMO")
    assert demo_total > 0
    page = open_console(browser, province, "host")
    box = "#host-new-form input[type=checkbox][data-unit='{}']"
    name = "#host-new-form .scope-tree label.name[data-unit='{}']"
    try:
        page.goto(f"{province.url}/console/#/host/new")
        page.wait_for_selector(name.format("DEMO"))
        assert scope_count(page) == 0

        # The unit's name ticks its box, as the box itself does: the count is the unit's.
        page.click(name.format("DEMO"))
        expect(page.locator(box.format("DEMO"))).to_be_checked()
        expect(page.locator("#host-scope-count")).to_have_attribute("data-count", str(demo_total))
        # A unit below a ticked one is taken with it: its name changes nothing, as its box would not.
        expect(page.locator(box.format("DEMO-H01"))).to_be_disabled()
        page.click(name.format("DEMO-H01"), force=True)  # the box is disabled: no waiting for it
        expect(page.locator(box.format("DEMO-H01"))).not_to_be_checked()
        expect(page.locator("#host-scope-count")).to_have_attribute("data-count", str(demo_total))
        page.click(name.format("DEMO"))
        expect(page.locator(box.format("DEMO"))).not_to_be_checked()
        expect(page.locator("#host-scope-count")).to_have_attribute("data-count", "0")
        page.click(name.format("DEMO-H01"))
        expect(page.locator(box.format("DEMO-H01"))).to_be_checked()
        expect(page.locator("#host-scope-count")).to_have_attribute("data-count", str(total(api, "DEMO-H01")))
        page.click(name.format("DEMO-H01"))
        expect(page.locator(box.format("DEMO-H01"))).not_to_be_checked()

        # Searching the tree: that district and the units above it stay, the other districts go.
        before = visible_units(page, ["TW", "DEMO", *districts, "DEMO-H01-X05"])
        assert before == {"TW": True, "DEMO": True, **dict.fromkeys(districts, True), "DEMO-H01-X05": False}
        page.fill("#host-unit-search", "huyen so 2")
        expect(page.locator("#host-unit-tree li[data-unit='DEMO-H02']")).to_be_visible()
        assert visible_units(page, districts) == {c: c == "DEMO-H02" for c in districts}
        assert visible_units(page, ["TW", "DEMO"]) == {"TW": True, "DEMO": True}
        expect(page.locator("#host-unit-tree li[data-unit='DEMO'] > div")).to_have_class("context")
        expect(page.locator("#host-unit-tree li[data-unit='DEMO-H02'] > div")).to_have_class("match")
        screenshot(page, "host-unit-search")

        # A commune deep in a closed district is opened to; its name ticks it there.
        page.fill("#host-unit-search", "xa 1.05")
        expect(page.locator("#host-unit-tree li[data-unit='DEMO-H01-X05']")).to_be_visible()
        assert visible_units(page, ["DEMO-H01-X04", "DEMO-H01-X06", "DEMO-H02"]) == dict.fromkeys(
            ["DEMO-H01-X04", "DEMO-H01-X06", "DEMO-H02"], False
        )
        page.click(name.format("DEMO-H01-X05"))
        expect(page.locator(box.format("DEMO-H01-X05"))).to_be_checked()
        expect(page.locator("#host-scope-count")).to_have_attribute(
            "data-count", str(total(api, "DEMO-H01-X05"))
        )

        # Cleared: every unit back, each list open or closed as before the search (the tick stays).
        page.fill("#host-unit-search", "")
        assert visible_units(page, ["TW", "DEMO", *districts, "DEMO-H01-X05"]) == before
        expect(page.locator(box.format("DEMO-H01-X05"))).to_be_checked()
        expect(page.locator("#host-unit-tree li[data-unit='DEMO'] > div")).not_to_have_class("context")
        # Enter in the search box searches; it never starts the session.
        page.fill("#host-unit-search", "khong co don vi nay")
        page.keyboard.press("Enter")
        expect(page.locator("#host-unit-found")).not_to_be_empty()
        assert "/host/new" in page.url
        assert visible_units(page, ["TW", *districts]) == dict.fromkeys(["TW", *districts], False)
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        page.context.close()
        api.close()


def edit_dialog(page: Page, province: Province, endpoint_id: str) -> None:
    page.goto(f"{province.url}/console/#/endpoint/{endpoint_id}")
    page.click("#details-edit")
    page.wait_for_selector("#details-edit-dialog")


def test_forms_read_the_picked_unit(browser, province: Province):
    """The technician's scope and the endpoint edit dialog read the code from the picker's holder."""
    api = province.api("technician")
    ep = api.get("/endpoints", params={"q": "DEMO-vc001"}).raise_for_status().json()["items"][0]
    page = open_console(browser, province, "technician")
    try:
        # Provisioning: the scope's unit (its form code reads `select.value`), kept when switching to cameras.
        page.goto(f"{province.url}/console/#/tech/provision")
        pick_unit(page, "#prov-unit", "DEMO-H01-X05")
        assert page.eval_on_selector("#prov-form", "f => f.elements.unit.value") == "DEMO-H01-X05"
        page.click("#prov-unit-input")
        page.keyboard.type("huyen")
        screenshot(page, "unit-picker-provision")
        page.keyboard.press("Escape")
        page.check("#prov-what-cameras")
        expect(page.locator("#prov-unit-input")).to_have_value("Xã 1.05 (DEMO-H01-X05)")
        expect(page.locator("#prov-unit")).to_have_value("DEMO-H01-X05")

        # The edit dialog starts on the endpoint's unit; Escape closes the list, not the dialog.
        edit_dialog(page, province, ep["id"])
        unit = ep["unit"]
        expect(page.locator("#details-edit-unit-input")).to_have_value(f"{unit['name']} ({unit['code']})")
        page.click("#details-edit-unit-input")
        page.keyboard.type("huyen so 3")
        expect(page.locator("#details-edit-unit-input")).to_have_attribute("aria-expanded", "true")
        screenshot(page, "unit-picker-edit")
        page.keyboard.press("Escape")
        expect(page.locator("#details-edit-unit-input")).to_have_attribute("aria-expanded", "false")
        expect(page.locator("#details-edit-dialog")).to_be_visible()
        expect(page.locator("#details-edit-unit-input")).to_have_value(f"{unit['name']} ({unit['code']})")
        # Enter on an open list picks; it does not send the form.
        page.keyboard.type("huyen so 3")
        page.keyboard.press("Enter")
        expect(page.locator("#details-edit-dialog")).to_be_visible()
        assert page.eval_on_selector("#details-edit-form", "f => f.elements.unit.value") == "DEMO-H03"
        page.keyboard.press("Escape")  # the list is closed: now the dialog goes, nothing saved
        page.wait_for_selector("#details-edit-dialog", state="detached")
        assert api.get(f"/endpoints/{ep['id']}").json()["unit"]["code"] == unit["code"]
        assert page.errors == []  # type: ignore[attr-defined]
    finally:
        page.context.close()
        api.close()
