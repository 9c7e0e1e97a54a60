"""Bulk rescans: checkpointed scan jobs over folders, files and manifests, and retro-matching
of new entries against stored media hashes (the work itself is in :mod:`hashdb.rescan`)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from hashdb.rescan.context import ScanContext
from hashdb.rescan.job import Rescan, RescanRequest
from hashdb.rescan.rematch import RematchReport, rematch
from hashdb.service.shared import ServicePart


class RescanService(ServicePart):
    def _context(self) -> ScanContext:
        service = self.service
        return ScanContext(service.settings, service.store, service.media, service.pipeline)

    def start(self, request: RescanRequest) -> Rescan:
        """A new, checkpointed scan job."""
        return Rescan.start(self._context(), request)

    def resume(self, job_id: int) -> Rescan:
        """Continue a scan job after a crash or Ctrl-C from its last checkpoint."""
        return Rescan.resume(self._context(), job_id)

    def rematch(self, since: datetime, lists: Collection[str] | None = None) -> RematchReport:
        """Match entries added since ``since`` against stored media hashes, decoding nothing."""
        return rematch(self._context(), since, lists)
