"""The distributed engine on a real local Dask cluster of worker processes."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from hashdb.identity import LOCAL_OPERATOR
from hashdb.rescan.engine import Engine
from hashdb.rescan.engine_local import LocalEngine
from hashdb.rescan.job import RescanRequest
from hashdb.rescan.report import StreamSink
from hashdb.rescan.sources import classify
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from tests.rescan.conftest import make_tree


def _report(service: HashDB, root: Path, engine: Engine, store_hashes: bool) -> Any:
    request = RescanRequest(
        inputs=classify(["media"], cwd=str(root)), cwd=str(root), store_hashes=store_hashes
    )
    out = io.StringIO()
    summary = service.rescans.start(request, principal=LOCAL_OPERATOR).run(
        engine, StreamSink(out), chunk_size=2
    )
    return [json.loads(line) for line in out.getvalue().splitlines()], summary


@pytest.mark.slow
def test_dask_cluster_gives_the_same_report_as_local(db_url: str, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    from hashdb.rescan.engine_dask import DaskEngine

    make_tree(tmp_path / "media", images=14)
    service = HashDB(Settings(db=db_url, refresh_interval=0))
    try:
        service.adding.media(
            "terror",
            (tmp_path / "media/known.png").read_bytes(),
            EntryMetadata(label="x"),
            principal=LOCAL_OPERATOR,
        )
        with distributed.LocalCluster(
            n_workers=2,
            processes=True,
            threads_per_worker=1,
            scheduler_port=0,  # any free port: other runs on this machine may hold 8786
            dashboard_address=None,
        ) as cluster:
            engine = DaskEngine(cluster.scheduler_address)
            try:
                assert engine.workers == 2
                # The workers write the media-hash store to the shared database themselves.
                on_dask, dask_summary = _report(service, tmp_path, engine, store_hashes=True)
            finally:
                engine.close()
        local, local_summary = _report(service, tmp_path, LocalEngine(2), store_hashes=False)
        assert on_dask == local
        assert len(local) == 18 and sum(line["matched"] for line in local) == 1
        assert dask_summary.counters.to_json() | {
            "elapsed": 0
        } == local_summary.counters.to_json() | {"elapsed": 0}
        assert service.store.count_scanned_media() == 15  # every readable file
    finally:
        service.close()
