"""Bulk exchange: importing and exporting hash files (the formats are in :mod:`hashdb.exchange`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hashdb.auth import access
from hashdb.errors import FileNotReadable, Forbidden, ListNotFound
from hashdb.exchange import (
    ExchangeFormat,
    ImportReport,
    detect_format,
    export_entries,
    import_records,
)
from hashdb.exchange.definitions import ListDefinition
from hashdb.identity import LOCAL_OPERATOR, Principal, Role
from hashdb.service.shared import ServicePart, actor

if TYPE_CHECKING:
    from hashdb.service.core import HashDB


class ExchangeService(ServicePart):
    """Imports and exports, limited to the lists the caller may write to or see."""

    def import_stream(
        self,
        stream: TextIO,
        fmt: ExchangeFormat,
        *,
        list_name: str | None,
        source: str = "-",
        skip_bad: bool = False,
        force: bool = False,
        principal: Principal = LOCAL_OPERATOR,
    ) -> ImportReport:
        """Bulk import; bad rows abort everything unless ``skip_bad`` (see hashdb.exchange).

        A caller of an organisation writes only to lists it may write to (missing ones are
        created as its own), and list definitions apply only to lists it manages."""
        if not principal.has(Role.ANALYST):
            raise Forbidden(f"importing needs the analyst role; you have {principal.role.value}")
        limits = None if principal.organisation is None else _ImportAccess(self.service, principal)
        report = import_records(
            self.store,
            stream,
            fmt,
            list_name=list_name,
            source=source,
            skip_bad=skip_bad,
            force=force,
            min_quality=self.service.settings.min_pdq_quality,
            actor=actor(principal),
            access=limits,
        )
        self.service.lists_changed()  # list settings may have come with the file
        return report

    def import_file(
        self,
        path: Path,
        *,
        list_name: str | None,
        fmt: str | None = None,
        skip_bad: bool = False,
        force: bool = False,
    ) -> ImportReport:
        exchange_format = detect_format(path, fmt)
        try:
            with path.open(encoding="utf-8", newline="") as stream:
                return self.import_stream(
                    stream,
                    exchange_format,
                    list_name=list_name,
                    source=str(path),
                    skip_bad=skip_bad,
                    force=force,
                )
        except FileNotFoundError:
            raise FileNotReadable(f"{path}: no such file") from None
        except IsADirectoryError:
            raise FileNotReadable(f"{path}: is a directory") from None
        except PermissionError:
            raise FileNotReadable(f"{path}: permission denied") from None

    def export(
        self,
        stream: TextIO,
        fmt: ExchangeFormat,
        *,
        lists: Sequence[str] | None = None,
        since: datetime | None = None,
        definitions: bool = True,
        principal: Principal = LOCAL_OPERATOR,
    ) -> int:
        """Entries (and in JSONL the vocabulary and list definitions first) to ``stream``;
        only of the lists ``principal`` can see."""
        if principal.organisation is not None:
            if lists:
                for name in lists:
                    self.service.lists.get(name, principal)  # 404 for a list it cannot see
            else:
                lists = [hash_list.name for hash_list in self.service.lists.visible(principal)]
        return export_entries(
            self.store, stream, fmt, lists=lists, since=since, definitions=definitions
        )


class _ImportAccess:
    """What an organisation's analyst may change by importing a file."""

    def __init__(self, service: HashDB, principal: Principal) -> None:
        self.service = service
        self.principal = principal

    def check_vocabulary(self) -> None:
        if not self.principal.has(Role.ADMIN):
            raise Forbidden(
                "the file defines label vocabulary terms, which needs the admin role: "
                "import it with --entries-only exports, or ask an admin"
            )

    def list_definition(self, definition: ListDefinition) -> ListDefinition:
        store = self.service.store
        try:
            hash_list = store.get_list(definition.name)
        except ListNotFound:
            return replace(definition, owner=self.principal.organisation)
        access.check_manage(self.principal, hash_list, store.list_settings(hash_list.id))
        if definition.owner != self.principal.organisation:
            raise Forbidden(f"list {definition.name!r} can only stay owned by your organisation")
        return definition

    def check_entries(self, list_name: str) -> None:
        self.service.lists.writable(list_name, self.principal, create=True)
