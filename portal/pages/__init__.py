"""HTML pages for people, one router per group of people (docs/portal.md)."""

from __future__ import annotations

from fastapi import APIRouter

from portal.pages import (
    account,
    admin_agencies,
    admin_bpmn,
    admin_procedures,
    admin_scenarios,
    admin_simulation,
    citizen,
    counter,
    filing,
    opendata,
    public,
    ratings,
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
    admin_simulation.router,
    admin_scenarios.router,
    admin_procedures.router,
    ratings.router,
    opendata.router,
    admin_bpmn.router,
)
