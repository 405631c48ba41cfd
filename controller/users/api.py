"""Users and API keys (admin only)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from controller.api.deps import Actor, Session, route
from controller.models import ApiKey, User
from controller.roles import Role
from controller.users import service as users
from controller.users.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)

router = APIRouter(tags=["users"])
ADMIN = route(Role.admin, province=True)


@router.get("/users", response_model=list[UserPublic], **ADMIN)
async def list_users(session: Session) -> list[User]:
    return await users.list_users(session)


@router.post("/users", response_model=UserPublic, status_code=status.HTTP_201_CREATED, **ADMIN)
async def create_user(data: UserCreate, session: Session, actor: Actor) -> User:
    return await users.create_user(session, data, actor)


@router.get("/users/{user_id}", response_model=UserPublic, **ADMIN)
async def get_user(user_id: uuid.UUID, session: Session) -> User:
    return await users.get_user(session, user_id)


@router.patch("/users/{user_id}", response_model=UserPublic, **ADMIN)
async def update_user(user_id: uuid.UUID, data: UserUpdate, session: Session, actor: Actor) -> User:
    return await users.update_user(session, await users.get_user(session, user_id), data, actor)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT, **ADMIN)
async def delete_user(user_id: uuid.UUID, session: Session, actor: Actor) -> None:
    await users.delete_user(session, await users.get_user(session, user_id), actor)


@router.post("/users/{user_id}/sign-out", status_code=status.HTTP_204_NO_CONTENT, **ADMIN)
async def sign_out_user(user_id: uuid.UUID, session: Session, actor: Actor) -> Response:
    """End every sign-in of the user on every device (a lost laptop, someone leaving)."""
    await users.sign_out_everywhere(session, await users.get_user(session, user_id), actor)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api-keys", response_model=list[ApiKeyPublic], **ADMIN)
async def list_api_keys(session: Session) -> list[ApiKey]:
    return await users.list_api_keys(session)


@router.post("/api-keys", response_model=ApiKeyCreated, status_code=status.HTTP_201_CREATED, **ADMIN)
async def create_api_key(data: ApiKeyCreate, session: Session, actor: Actor) -> ApiKeyCreated:
    row, key = await users.create_api_key(session, data, actor)
    public = ApiKeyPublic.model_validate(row, from_attributes=True)
    return ApiKeyCreated(**public.model_dump(), key=key)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyPublic, **ADMIN)
async def revoke_api_key(key_id: uuid.UUID, session: Session, actor: Actor) -> ApiKey:
    return await users.revoke_api_key(session, key_id, actor)
