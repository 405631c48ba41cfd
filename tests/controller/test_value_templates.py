"""Templates (standard values, dial patterns, the firmware URL) hold bare placeholders only.

``str.format`` would obey ``{name:>999999999}`` (a gigabyte built on the event loop),
``{name!r}`` and ``{name.__class__}``; every template is refused with a 422 naming the
field when it is saved, and rendering one stored before these rules builds nothing big.
"""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from controller.errors import InvalidInput
from controller.models import ConfigStandard, Unit
from controller.principal import SYSTEM
from controller.provisioning import standards
from controller.provisioning.standards import StandardResolver, facts
from controller.roles import Role
from controller.sessions.dialplan import dial_string, validate_pattern
from controller.settings import Settings
from controller.templates import MAX_RENDERED, TemplateError, check, render
from tests.controller.test_registry_api import create

HOSTILE = [
    ("{name:>999999999}", "format specs"),
    ("{name:}", "format specs"),
    ("{name!r}", "conversions"),
    ("{name!s:>99}", "conversions"),
    ("{name.__class__}", "attribute and index"),
    ("{name[0]}", "attribute and index"),
    ("{name.__class__.__mro__}", "attribute and index"),
    ("{0}", "not a known placeholder"),
    ("{}", "not a known placeholder"),
    ("{evil}", "not a known placeholder"),
    ("{name:{slug}}", "unmatched '{'"),
    ("ĐC {name", "unmatched '{'"),
    ("ĐC name}", "unmatched '}'"),
]


@pytest.mark.parametrize(("template", "why"), HOSTILE)
def test_the_renderer_refuses_anything_but_bare_known_names(template, why):
    with pytest.raises(TemplateError, match=why):
        check(template, standards.PLACEHOLDERS)
    with pytest.raises(TemplateError, match=why):
        render(template, {"name": "Xã 1", "slug": "xa-1"})


def test_bare_names_and_doubled_braces_render_as_str_format_would():
    values = {"name": "Xã {1}", "slug": "xa-1"}
    for template in ("ĐC {name}", "{slug}@{{vc}}", "{name}{name} }}{{", "plain", ""):
        assert render(template, values) == template.format(**values)
    assert check("{slug}-{name}-{slug}", standards.PLACEHOLDERS) == ["slug", "name", "slug"]


def test_a_rendering_beyond_the_cap_is_refused_before_it_is_built():
    name = "x" * 300
    with pytest.raises(TemplateError, match=f"renders to 1200 characters; at most {MAX_RENDERED}"):
        render("{name}" * 4, {"name": name})
    assert render("{name}" * 3, {"name": name}) == name * 3
    with pytest.raises(TemplateError, match="at most 10"):
        render("{name}", {"name": "y" * 11}, limit=10)


@pytest.mark.parametrize(("template", "why"), HOSTILE)
async def test_a_standard_with_a_format_spec_is_422_on_the_value(controller, template, why):
    r = await controller.client.put(
        "/api/v1/standards/display_name", json={"value": template}, headers=controller.auth(Role.technician)
    )
    assert r.status_code == 422, r.text
    assert r.json()["field"] == "value" and why in r.json()["detail"], r.text
    listed = (await controller.client.get("/api/v1/standards", headers=controller.auth(Role.admin))).json()
    assert listed == []


async def test_a_camera_name_template_is_held_to_the_same_rules(controller):
    for template in ("{unit_code}-{slug:>999999999}", "{name!r}", "{host.__class__}"):
        r = await controller.client.put(
            "/api/v1/standards/camera_name",
            json={"value": template},
            headers=controller.auth(Role.technician),
        )
        assert r.status_code == 422 and r.json()["field"] == "value", r.text


async def test_the_cli_path_refuses_the_same_templates(controller):
    """`diemcau standards set` calls `set_value` without the API's schema: the same checks apply."""
    keys = {k for p in controller.state.profiles.values() for k in p.config}
    bad = [
        "{name:>999999999}",
        "{name!r}",
        "{name.__class__}",
        "{name[0]}",
        "a\nb",
        "x\u2028y",
        "x\u202ey",
        "x" * 501,
    ]
    for value in bad:
        async with controller.state.db.transaction() as session:
            with pytest.raises(InvalidInput) as caught:
                await standards.set_value(session, None, "display_name", value, keys, SYSTEM)
        assert caught.value.extra == {"field": "value"}, value


async def test_a_template_that_could_render_beyond_the_cap_is_refused_when_saved(controller):
    h = controller.auth(Role.technician)
    r = await controller.client.put("/api/v1/standards/display_name", json={"value": "{host}" * 4}, headers=h)
    assert r.status_code == 422 and r.json()["field"] == "value", r.text
    assert f"at most {MAX_RENDERED}" in r.json()["detail"]
    r = await controller.client.put("/api/v1/standards/display_name", json={"value": "{host}" * 3}, headers=h)
    assert r.status_code == 200, r.text


async def test_a_stored_bad_template_renders_to_nothing_and_builds_nothing(controller):
    """A template saved before these rules (straight into the table) is left out, not built."""
    async with controller.state.db.transaction() as session:
        session.add(ConfigStandard(unit_id=None, key="display_name", value="{name:>999999999}"))
        session.add(ConfigStandard(unit_id=None, key="h323_name", value="{slug}"))
    ep = await create(controller)  # renders the standard for the new endpoint's limits
    async with controller.state.db.transaction() as session:
        resolver = await StandardResolver.load(session)
        unit = await session.get(Unit, uuid.UUID(ep["unit"]["id"]))
        got = resolver.rendered(
            unit, facts(ep["name"], unit, None, ep["host"]), ["display_name", "h323_name"]
        )
    assert got == {"h323_name": standards.slugify(ep["name"])}


@pytest.mark.parametrize(
    "pattern",
    ["sip:{conference:>999999999}@mcu", "sip:{conference!r}@mcu", "sip:{conference.x}@mcu", "sip:{0}@mcu"],
)
async def test_a_bridge_pattern_with_a_format_spec_is_422_on_the_pattern(controller, pattern):
    r = await controller.client.post(
        "/api/v1/bridges", json={"name": "MCU 2", "sip_pattern": pattern}, headers=controller.auth(Role.admin)
    )
    assert r.status_code == 422, r.text
    assert [e["location"] for e in r.json()["errors"]] == ["body.sip_pattern"], r.text


def test_dial_strings_come_from_the_same_renderer():
    assert (
        dial_string(validate_pattern("sip:{conference}@mcu.tinh.example"), "40001")
        == "sip:40001@mcu.tinh.example"
    )
    with pytest.raises(ValueError):
        dial_string("sip:{conference:>99}@mcu", "40001")


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("firmware_url_template", "http://fw/{profile:>999999999}/{version}.pkg"),
        ("firmware_url_template", "http://fw/{profile.__class__}/{version}.pkg"),
        ("firmware_url_template", "http://fw/{profile}/{version!r}.pkg"),
        ("firmware_url_template", "http://fw/{build}.pkg"),
        ("bridge_sip_pattern", "sip:{conference:>999999999}@mcu"),
    ],
)
def test_templates_in_the_settings_are_refused_at_start(setting, value):
    with pytest.raises(ValidationError, match=setting):
        Settings(**{setting: value})
    assert (
        Settings().firmware_url_template.format(profile="p", version="1")
        == "http://firmware.tinh.example/p/1.pkg"
    )
