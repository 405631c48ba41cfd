"""Every kind of sink the controller delivers to, one entry each, and the create body that
accepts any of them (tagged by ``kind``; a body without one is a webhook, as before MQTT).

To add a kind: a module with its sender, its create model and its `SinkKind` (see
`webhook` and `mqtt`), then one entry in `KINDS` and one arm in `SinkCreate`.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Discriminator, Tag

from controller.ioc import mqtt, webhook
from controller.ioc.kinds import SinkKind

__all__ = ["KINDS", "SinkCreate"]

KINDS: dict[str, SinkKind] = {k.name: k for k in (webhook.KIND, mqtt.KIND)}


def _kind_of(body: Any) -> str | None:
    if isinstance(body, dict):
        kind = body.get("kind", "webhook")
        return kind if isinstance(kind, str) else None
    return getattr(body, "kind", None)


SinkCreate = Annotated[
    Annotated[webhook.WebhookSinkCreate, Tag("webhook")] | Annotated[mqtt.MqttSinkCreate, Tag("mqtt")],
    Discriminator(
        _kind_of,
        custom_error_type="sink_kind",
        custom_error_message=f"kind must be one of: {', '.join(KINDS)}",
        custom_error_context={"discriminator": "kind"},
    ),
]
