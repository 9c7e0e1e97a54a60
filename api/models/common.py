from __future__ import annotations

#: Ids fit a signed 64-bit integer in every backend; larger ones cannot exist.
MAX_ID = 2**62
MAX_PAGE = 1000
