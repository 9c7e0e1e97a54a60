"""One module per group of routes, each with a ``router``."""
