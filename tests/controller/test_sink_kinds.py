"""Sink kinds are data: the registry, the create body's union and the API agree, and a body
is held to its own kind's fields (a webhook has no password, a broker no signing secret)."""

from __future__ import annotations

import typing

from pydantic import TypeAdapter, ValidationError

from controller.ioc.senders import KINDS, SinkCreate
from controller.roles import Role


def _union_tags() -> set[str]:
    union = typing.get_args(SinkCreate)[0]
    return {typing.get_args(arm)[1].tag for arm in typing.get_args(union)}


def test_every_registered_kind_is_an_arm_of_the_create_body_and_tags_itself():
    assert _union_tags() == set(KINDS) == {"webhook", "mqtt"}
    for name, kind in KINDS.items():
        assert kind.name == name
        assert typing.get_args(kind.create.model_fields["kind"].annotation) == (name,)


def test_the_body_is_read_as_its_kind():
    adapter = TypeAdapter(SinkCreate)
    hook = adapter.validate_python({"name": "h", "url": "https://ioc.example/hook"})
    assert type(hook).__name__ == "WebhookSinkCreate" and hook.kind == "webhook"  # no kind: a webhook
    broker = adapter.validate_python({"name": "m", "kind": "mqtt", "url": "mqtts://b", "password": "pw"})
    assert type(broker).__name__ == "MqttSinkCreate" and broker.password == "pw"
    try:
        adapter.validate_python({"name": "x", "kind": "smtp", "url": "smtp://mail"})
    except ValidationError as exc:
        assert exc.errors()[0]["type"] == "sink_kind"
        assert exc.errors()[0]["msg"] == "kind must be one of: webhook, mqtt"
    else:
        raise AssertionError("an unknown kind was accepted")


def test_each_kind_keeps_its_own_secret():
    webhook, mqtt = KINDS["webhook"], KINDS["mqtt"]
    stored, shown = webhook.secret(webhook.create(name="h", url="https://ioc.example/h"))
    assert stored and stored.startswith("whsec_") and shown == stored  # generated, shown once
    stored, shown = mqtt.secret(mqtt.create(name="m", kind="mqtt", url="mqtts://b", password="pw"))
    assert (stored, shown) == ("pw", None)  # a broker password is never shown back


async def test_the_api_refuses_another_kinds_fields_and_unknown_kinds(controller):
    h = controller.auth(Role.admin)
    cases = [
        ({"name": "w", "url": "https://ioc.tinh.example/hook", "password": "x"}, "password"),
        (
            {"name": "m", "kind": "mqtt", "url": "mqtts://b.example", "secret": "whsec_MTIzNDU2Nzg5MA=="},
            "secret",
        ),
        ({"name": "s", "kind": "smtp", "url": "smtp://mail.example"}, "kind must be one of: webhook, mqtt"),
        ({"name": "n", "kind": 7, "url": "https://ioc.tinh.example/hook"}, "kind must be one of"),
    ]
    for body, field in cases:
        r = await controller.client.post("/api/v1/sinks", json=body, headers=h)
        assert r.status_code == 422, (body, r.text)
        assert field in r.text, (body, r.json())
    listed = await controller.client.get("/api/v1/sinks", headers=h)
    assert listed.json() == []  # nothing half-made
    spec = (await controller.client.get("/openapi.json", headers=h)).json()
    body = spec["paths"]["/api/v1/sinks"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    refs = {arm["$ref"].rsplit("/", 1)[1] for arm in body["oneOf"]}
    assert refs == {"WebhookSinkCreate", "MqttSinkCreate"}
