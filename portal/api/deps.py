"""Shared dependencies of the API routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from portal.wiring import Container


def container(request: Request) -> Container:
    """The process's container (set by the app factory)."""
    app_container: Container = request.app.state.container
    return app_container


ContainerDep = Annotated[Container, Depends(container)]
