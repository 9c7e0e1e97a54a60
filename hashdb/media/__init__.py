"""Media decoding: bytes in, hashable frames out, with one typed error for anything bad."""

from hashdb.media.image import DecodeOptions, PreparedImage, decode_image

__all__ = ["DecodeOptions", "PreparedImage", "decode_image"]
