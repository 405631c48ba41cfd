"""From registry rows to what `endpoints` needs to reach a device.

The one place a stored password is decrypted for use; the plaintext lives
only inside the `Target` handed to the session pool.
"""

from __future__ import annotations

from collections.abc import Mapping

from controller.models import Endpoint
from controller.security import SecretBox
from endpoints.pool import Target
from endpoints.profiles import Profile


def device_target(ep: Endpoint, box: SecretBox, profiles: Mapping[str, Profile]) -> Target:
    return Target(
        key=str(ep.id),
        host=ep.host,
        port=ep.port,
        username=ep.username,
        password=box.decrypt(ep.password_enc),
        profile=profiles[ep.profile],
        host_key=ep.host_key,
    )
