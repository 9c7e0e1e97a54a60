"""The hashdb HTTP API: a thin FastAPI face over :mod:`hashdb.service`."""
