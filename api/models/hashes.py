"""A hash as clients send it: algorithm and lowercase-or-not hex value, validated on the way in."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from pydantic_core import PydanticCustomError

from hashdb.errors import InvalidHash
from hashdb.hashing import ALGORITHMS, Digest, get_algorithm

#: Error types raised by hash validation; a 422 made only of them carries their code.
HASH_ERROR_CODES = frozenset({"invalid_hash", "unknown_algorithm"})


class HashIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    algorithm: str = Field(
        max_length=32,
        description=f"One of {', '.join(ALGORITHMS)}.",
        examples=["pdq"],
    )
    value: str = Field(
        max_length=256,
        description="The hash in hex (PDQ: 64 characters, the ThreatExchange convention).",
        examples=["f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"],
    )

    _digest: Digest | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _parse(self) -> HashIn:
        try:
            self._digest = get_algorithm(self.algorithm).parse(self.value)
        except InvalidHash as error:
            raise PydanticCustomError(error.code, error.message) from None
        return self

    @property
    def digest(self) -> Digest:
        assert self._digest is not None
        return self._digest
