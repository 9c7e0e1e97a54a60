"""Bulk rescans: checkpointed scan jobs over folders, files and manifests, and retro-matching
of new entries against stored media hashes (the work itself is in :mod:`hashdb.rescan`).

A rescan matches against every list and keeps its media hashes in the deployment's store, so
it is an operator's job (the CLI on the database host), never an organisation's."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from hashdb.errors import Forbidden
from hashdb.identity import Principal
from hashdb.rescan.context import ScanContext
from hashdb.rescan.job import Rescan, RescanRequest
from hashdb.rescan.rematch import RematchReport, rematch
from hashdb.service.shared import ServicePart


class RescanService(ServicePart):
    def _context(self, principal: Principal) -> ScanContext:
        if not principal.is_operator:
            raise Forbidden("rescans are for operators (an admin of no organisation)")
        service = self.service
        return ScanContext(service.settings, service.store, service.media, service.pipeline)

    def start(self, request: RescanRequest, principal: Principal) -> Rescan:
        """A new, checkpointed scan job."""
        return Rescan.start(self._context(principal), request)

    def resume(self, job_id: int, principal: Principal) -> Rescan:
        """Continue a scan job after a crash or Ctrl-C from its last checkpoint."""
        return Rescan.resume(self._context(principal), job_id)

    def rematch(
        self, since: datetime, principal: Principal, lists: Collection[str] | None = None
    ) -> RematchReport:
        """Match entries added since ``since`` against stored media hashes, decoding nothing."""
        return rematch(self._context(principal), since, lists)
