"""WHEP (WebRTC-HTTP Egress Protocol, IETF draft; its twin WHIP is RFC 9725): watch a camera.

    POST   /whep/cameras/{id}    body: SDP offer (application/sdp)
           201 Created, Location: /whep/viewers/{viewer}, body: SDP answer
    DELETE /whep/viewers/{viewer}  ends it
    PATCH  /whep/viewers/{viewer}  405: no trickle ICE (the answer carries every
                                   candidate, as the draft allows)
    OPTIONS                        CORS preflight for configured external players

A bearer token is required like everywhere else; the limits per camera and in
total answer 503 with Retry-After, the limit per user 429 with Retry-After. A viewer is
closed when the token that opened it expires or its user is disabled (or its API key
revoked): see `authn.Watchers`.
"""

from __future__ import annotations

import logging
import uuid

from fastapi import APIRouter, Request, Response, status
from pydantic import BaseModel, ConfigDict

from camera.errors import OfferRefused, RelayFull, StreamUnplayable
from camera.ice import link_header
from camera.playability import FIX
from controller.api.authn import credential_of
from controller.api.deps import Actor, AppState, Scope, Session, State, route
from controller.api.problems import problem
from controller.cameras import registry
from controller.db import release
from controller.errors import Conflict, InvalidInput, NotFound
from controller.roles import ALL_ROLES

log = logging.getLogger("diemcau.relay")


class IceServerPublic(BaseModel):
    """An RTCIceServer as a browser takes it."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"urls": ["stun:stun.lamdong.gov.vn:3478"], "username": None, "credential": None}]
        }
    )

    urls: list[str]
    username: str | None = None
    credential: str | None = None


router = APIRouter(prefix="/whep", tags=["whep"])
stats_router = APIRouter(tags=["whep"])
WATCH = route(*ALL_ROLES)
MAX_OFFER = 64 * 1024
SDP_BODY = {"content": {"application/sdp": {"schema": {"type": "string"}}}, "required": True}


def _cors(request: Request, state: AppState, response: Response) -> Response:
    origin = request.headers.get("origin")
    allowed = state.settings.relay_cors_origins
    if origin and ("*" in allowed or origin in allowed):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = "Location, Accept-Patch, Link"
        response.headers["Vary"] = "Origin"
    return response


@router.options("/cameras/{camera_id}", include_in_schema=False)
@router.options("/viewers/{viewer_id}", include_in_schema=False)
async def preflight(request: Request, state: State) -> Response:
    """CORS preflight: carries no token by the CORS rules, and reveals nothing."""
    response = Response(status_code=status.HTTP_204_NO_CONTENT)
    response.headers["Accept-Post"] = "application/sdp"
    response.headers["Access-Control-Allow-Methods"] = "POST, DELETE, OPTIONS"
    response.headers["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
    return _cors(request, state, response)


@router.post(
    "/cameras/{camera_id}",
    status_code=status.HTTP_201_CREATED,
    response_class=Response,
    responses={201: {"content": {"application/sdp": {}}}},
    **(WATCH | {"openapi_extra": WATCH["openapi_extra"] | {"requestBody": SDP_BODY}}),
)
async def watch_camera(
    camera_id: uuid.UUID, request: Request, state: State, session: Session, actor: Actor, scope: Scope
) -> Response:
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/sdp":
        raise InvalidInput("the offer must be sent as application/sdp", field="content-type")
    body = await request.body()
    if len(body) > MAX_OFFER:
        raise InvalidInput(f"the offer is larger than {MAX_OFFER} bytes", field="body")
    try:
        offer = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the offer is not UTF-8 text", field="body") from None
    if not offer.startswith("v=0") or "m=video" not in offer or "\x00" in offer:
        raise InvalidInput("not an SDP offer with a video section", field="body")
    cam = await registry.get_camera(session, camera_id, scope)  # outside the caller's units: 404
    if not cam.enabled:
        raise Conflict(f"camera {cam.name} is disabled")
    provisionable = cam.onvif_url is not None
    source = state.cameras.source(cam)
    await release(session)  # the relay may wait for the camera's first pictures: hold no connection
    try:
        viewer, answer = await state.relay.answer(cam.id, source, offer, owner=actor.label)
    except StreamUnplayable as exc:
        # 409: the request is right, the camera's stream is what stands in the way
        return _cors(
            request,
            state,
            problem(
                409,
                "stream-unplayable",
                "The camera's stream cannot be played in a browser",
                f"{exc.why.detail}; {FIX}",
                request.url.path,
                camera_id=str(cam.id),
                onvif=provisionable and exc.why.code == "codec",  # ONVIF Media1 sets the codec, not B-frames
                **exc.why.as_dict(),
            ),
        )
    except RelayFull as exc:
        mine = exc.scope == "user"  # this user's own viewers: 429; the relay's capacity: 503
        full = problem(
            429 if mine else 503,
            "too-many-requests" if mine else "relay-full",
            "Too many viewers",
            f"{exc}; {'close one first' if mine else 'try again later'}",
            request.url.path,
            scope=exc.scope,
            limit=exc.limit,
        )
        full.headers["Retry-After"] = "10"
        return full
    except OfferRefused as exc:
        log.warning("WHEP offer refused: %s", exc.kind)
        raise InvalidInput(str(exc), field="body") from None
    credential = credential_of(request)
    if credential is not None:  # the viewer ends with the token or key that opened it
        state.watchers.end_when_invalid(
            state,
            credential,
            lambda _: state.relay.close(viewer.id),
            lambda: viewer.id in state.relay.viewers,
        )
    response = Response(answer, status_code=status.HTTP_201_CREATED, media_type="application/sdp")
    response.headers["Location"] = f"/whep/viewers/{viewer.id}"
    for entry in state.relay.ice_for(actor.label):  # WHEP: STUN/TURN for the client, per RFC 9725 4.6
        server = IceServerPublic.model_validate(entry)
        for url in server.urls:
            response.headers.append("Link", link_header(url, server.username, server.credential))
    return _cors(request, state, response)


@stats_router.get("/relay/ice-servers", response_model=list[IceServerPublic], **WATCH)
async def ice_servers(state: State, actor: Actor) -> list[dict[str, object]]:
    """The STUN/TURN servers to give a browser's RTCPeerConnection before it makes its WHEP offer
    (a TURN-only network needs them in the offer); credentials minted for the caller."""
    return state.relay.ice_for(actor.label)


@stats_router.get("/relay/stats", response_model=dict[str, object], **route(*ALL_ROLES, province=True))
async def relay_stats(state: State) -> dict[str, object]:
    """Viewers per camera, packets relayed, and transcodes (0: the relay never decodes or encodes):
    the whole relay's figures, so the province's people's."""
    return state.relay.stats()


@router.delete("/viewers/{viewer_id}", status_code=status.HTTP_204_NO_CONTENT, **WATCH)
async def stop_watching(viewer_id: uuid.UUID, request: Request, state: State) -> Response:
    if not await state.relay.close(viewer_id):
        raise NotFound(f"no viewer {viewer_id}")
    return _cors(request, state, Response(status_code=status.HTTP_204_NO_CONTENT))


@router.patch("/viewers/{viewer_id}", status_code=status.HTTP_405_METHOD_NOT_ALLOWED, **WATCH)
async def whep_trickle(viewer_id: uuid.UUID, request: Request) -> Response:
    """Trickle ICE is not supported: the answer already holds every candidate."""
    response = problem(
        405, "method-not-allowed", "Method not allowed", "trickle ICE is not supported", request.url.path
    )
    response.headers["Allow"] = "DELETE"
    return response
