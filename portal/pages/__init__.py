"""HTML pages for people, one router per group of people (docs/portal.md)."""

from __future__ import annotations

from fastapi import APIRouter

from portal.pages import (
    account,
    admin_agencies,
    admin_bpmn,
    citizen,
    counter,
    filing,
    public,
    supervise,
    work,
)

ROUTERS: tuple[APIRouter, ...] = (
    public.router,
    account.router,
    filing.router,
    citizen.router,
    counter.router,
    work.router,
    admin_agencies.router,
    supervise.router,
    admin_bpmn.router,
)
