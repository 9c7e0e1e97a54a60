"""hashdb: a perceptual-hash media blocklist with explainable matches."""

__version__ = "0.1.0"
