"""The ``hashdb`` command line: a thin face over :mod:`hashdb.service`."""
