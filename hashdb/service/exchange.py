"""Bulk exchange: importing and exporting hash files (the formats are in :mod:`hashdb.exchange`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from hashdb.auth import access
from hashdb.errors import FileNotReadable, Forbidden, ListNameTaken, ListNotFound
from hashdb.exchange import (
    ExchangeFormat,
    ImportReport,
    detect_format,
    export_entries,
    import_records,
)
from hashdb.exchange.definitions import ListDefinition
from hashdb.exchange.provenance import Importer
from hashdb.identity import Principal, Role
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
        principal: Principal,
    ) -> ImportReport:
        """Bulk import; bad rows abort everything unless ``skip_bad`` (see hashdb.exchange).

        An operator imports anything as the file says, provenance included (how one
        deployment syncs another). Anyone else writes only to lists it may write to (missing
        ones are created as its own), applies list definitions only to lists it manages, adds
        vocabulary terms never, and is recorded as the one who added every entry: its
        organisation and name, at the time of the import (the file's claims go to the
        import's audit record, not onto the entries)."""
        if not principal.has(Role.ANALYST):
            raise Forbidden(f"importing needs the analyst role; you have {principal.role.value}")
        limits = None if principal.is_operator else _ImportAccess(self.service, principal)
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
            organisation=principal.organisation,
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
        principal: Principal,
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
                    principal=principal,
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
        principal: Principal,
    ) -> int:
        """Entries (and in JSONL the vocabulary and list definitions first) to ``stream``;
        only of the lists ``principal`` can see."""
        if not principal.has(Role.ANALYST):
            raise Forbidden(f"exporting needs the analyst role; you have {principal.role.value}")
        if lists:
            for name in lists:
                self.service.lists.get(name, principal)  # 404 for a list it cannot see
        elif principal.organisation is not None:
            lists = [hash_list.name for hash_list in self.service.lists.visible(principal)]
        return export_entries(
            self.store, stream, fmt, lists=lists, since=since, definitions=definitions
        )


class _ImportAccess:
    """What a caller other than an operator may change by importing a file, and how its
    entries are recorded."""

    def __init__(self, service: HashDB, principal: Principal) -> None:
        self.service = service
        self.principal = principal
        self.importer = Importer(principal.name, principal.organisation)

    def check_vocabulary(self) -> None:
        raise Forbidden(
            "the file defines label vocabulary terms this deployment lacks, and only an "
            "operator adds terms: ask one, or import an --entries-only export"
        )

    def list_definition(self, definition: ListDefinition) -> ListDefinition:
        lists = self.service.lists
        try:
            hash_list = lists.get(definition.name, self.principal)
        except ListNotFound:
            if lists.taken(definition.name):  # by a list this caller cannot see
                raise ListNameTaken.named(definition.name) from None
            return replace(definition, owner=self.principal.organisation)
        settings = self.service.store.list_settings(hash_list.id)
        access.check_manage(self.principal, hash_list, settings)
        if definition.owner != settings.owner:
            raise Forbidden(
                f"the file gives list {definition.name!r} another owner; "
                "only an operator hands a list to another organisation"
            )
        return definition

    def check_entries(self, list_name: str) -> None:
        self.service.lists.writable(list_name, self.principal, create=True)
