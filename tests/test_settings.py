"""The one settings object: a misspelt setting is an error, not silently the default."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hashdb.settings import Settings


def test_a_setting_that_does_not_exist_is_refused() -> None:
    with pytest.raises(ValidationError, match="database"):
        Settings(database="elsewhere.sqlite")  # type: ignore[call-arg]  # the field is ``db``


def test_environment_variables_of_other_programs_are_left_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HASHDB_NOT_A_SETTING", "1")
    monkeypatch.setenv("HASHDB_DB", "from-env.sqlite")
    assert Settings().db == "from-env.sqlite"
