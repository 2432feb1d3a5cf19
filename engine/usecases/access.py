"""Object-level authorization: who may see or act on a dossier or task."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select

from engine.actor import Actor, Role
from engine.errors import Forbidden, NotFound
from engine.store.db import UnitOfWork
from engine.store.models import DossierRow


def not_found(code: str) -> NotFound:
    """Same answer for missing and not-yours, so codes cannot be probed."""
    return NotFound(
        f"Không tìm thấy hồ sơ «{code}».", f"Dossier '{code}' was not found.", code="DossierNotFound"
    )


def is_owner(actor: Actor, dossier: DossierRow) -> bool:
    """The citizen whose verified identity number the dossier carries (the account only as a fallback).

    A dossier belongs to a person, not to an account: the same person signed in through another identity
    provider (development identity, Keycloak, VNeID brokered by Keycloak) or with a recreated account has
    a new `sub` but the same verified number. The subject decides only for a dossier that carries no
    verified number (filed online by an account without one), so an actor with number X never sees a
    dossier of number Y.
    """
    if not actor.has(Role.CITIZEN):
        return False
    if dossier.applicant_id_number is not None:
        return actor.identity_number is not None and dossier.applicant_id_number == actor.identity_number
    return dossier.owner_subject is not None and dossier.owner_subject == actor.subject


def owned_by(actor: Actor) -> ColumnElement[bool]:
    """SQL condition for the dossiers a citizen owns (same rule as `is_owner`; both columns are indexed)."""
    unverified = and_(
        col(DossierRow.applicant_id_number).is_(None),
        col(DossierRow.owner_subject) == actor.subject,
    )
    if not actor.identity_number:
        return unverified
    return or_(col(DossierRow.applicant_id_number) == actor.identity_number, unverified)


def can_see(actor: Actor, dossier: DossierRow) -> bool:
    """Citizens see their own dossiers; staff their agency's; supervisors every agency they supervise."""
    if is_owner(actor, dossier):
        return True
    if actor.is_staff and actor.agency == dossier.agency_code:
        return True
    return dossier.agency_code in actor.supervised


def load_for(uow: UnitOfWork, actor: Actor, code: str, *, lock: bool = False) -> DossierRow:
    """The dossier with that code if the actor may see it, else NotFound."""
    query = select(DossierRow).where(DossierRow.code == code)
    if lock:
        # The row may already sit in the session (read before the lock): take the locked values.
        query = query.with_for_update().execution_options(populate_existing=True)
    dossier = uow.session.exec(query).first()
    if dossier is None or not can_see(actor, dossier):
        raise not_found(code)
    return dossier


def require_staff(actor: Actor, dossier: DossierRow, *roles: Role) -> None:
    """Staff of the dossier's agency holding one of the roles, else Forbidden."""
    if actor.agency != dossier.agency_code or not any(actor.has(r) for r in roles):
        names = ", ".join(r.value for r in roles)
        raise Forbidden(
            "Bạn không có quyền thực hiện thao tác này với hồ sơ của cơ quan khác hoặc với vai trò hiện tại.",
            f"Only {names} of agency {dossier.agency_code} may do this.",
        )


def require_owner_or_officer(actor: Actor, dossier: DossierRow) -> None:
    """The citizen who owns the dossier, or a one-stop officer of its agency."""
    if is_owner(actor, dossier):
        return
    require_staff(actor, dossier, Role.OFFICER)
