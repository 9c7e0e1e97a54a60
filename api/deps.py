"""Dependencies shared by the routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hashdb.service import HashDB


def get_service(request: Request) -> HashDB:
    service = request.app.state.hashdb
    assert isinstance(service, HashDB)
    return service


ServiceDep = Annotated[HashDB, Depends(get_service)]
