"""Who am I: the Actor the portal derived from the bearer token or the browser session."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from portal.api.models import MeOut, errors
from portal.auth import CurrentActor

router = APIRouter(tags=["identity"])


@router.get("/me", response_model=MeOut, responses=errors(401))
def me(actor: CurrentActor) -> dict[str, Any]:
    """The caller as MotCua sees them: roles, agency (or agencies), identity number."""
    return {
        "subject": actor.subject,
        "username": actor.username,
        "name": actor.display,
        "roles": sorted(r.value for r in actor.roles),
        "agency": actor.agency,
        "agencies": sorted(actor.agencies),
        "identity_number": actor.identity_number,
    }
