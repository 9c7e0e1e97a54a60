"""Bulk rescans of stored media: sources, engines, checkpointed jobs, retro-matching.

``sources`` walks folders and manifests in a resumable order; ``worker`` is the per-chunk
work every engine runs (one :class:`~hashdb.rescan.context.ScanContext`, a
store and a matching pipeline, per worker process);
``engine_local`` and ``engine_dask`` run it on local processes or a Dask cluster; ``job``
coordinates, writes the ordered report and checkpoints it; ``rematch`` matches new entries
against the media-hash store without decoding.
"""
