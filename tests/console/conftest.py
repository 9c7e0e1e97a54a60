"""Browser tests of the console: a real ``hashdb serve`` process (on SQLite and on the real
PostgreSQL) driven by a real headless Chromium through Playwright.

The browser is Debian's ``chromium`` package (``.ci/run`` installs it); Playwright only drives
it and never downloads one. Without the browser these tests skip, except under ``CI=true``,
where they fail. ``HASHDB_CONSOLE_SCREENSHOTS=docs/images`` saves screenshots of the main
pages there (``console-*.png``), for the README.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa

from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import HashDB
from hashdb.settings import Settings
from tests.api.serving import Served, serve
from tests.conftest import IN_CI

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path(os.environ.get("HASHDB_TEST_CHROMIUM", "/usr/bin/chromium"))
#: Headless, and nothing that reaches out: the network here is closed, and a test must see
#: only the requests the console itself makes.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = os.environ.get("HASHDB_CONSOLE_SCREENSHOTS")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"the console's browser tests must run under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium chromium-driver)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """One database per test module: a SQLite file, or a PostgreSQL schema dropped after."""
    if request.param == "sqlite":
        yield str(tmp_path_factory.mktemp("console") / "console.sqlite")
        return
    server: str = request.getfixturevalue("postgres_server")
    schema = f"hashdb_console_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in server else "?"
    try:
        yield f"{server}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module")
def served(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``hashdb serve`` on the module's database; its printed admin key in ``served.key``."""
    with serve(tmp_path_factory.mktemp("served"), db=database) as running:
        yield running


@pytest.fixture(scope="module")
def hub(served: Served) -> Iterator[HashDB]:
    """The service on the served database, for what a test sets up besides the console."""
    service = HashDB(Settings(db=served.db, refresh_interval=0))
    yield service
    service.close()


@dataclass(frozen=True)
class Keys:
    """Keys of two organisations, made for one test (names unique to it)."""

    acme_analyst: str
    acme_platform: str
    beta_analyst: str
    acme: str
    beta: str


@pytest.fixture
def keys(hub: HashDB) -> Keys:
    tag = uuid.uuid4().hex[:6]
    acme, beta = f"acme-{tag}", f"beta-{tag}"

    def key(name: str, role: Role, organisation: str) -> str:
        return hub.keys.create(
            f"{name}-{tag}", role, organisation=organisation, principal=LOCAL_OPERATOR
        ).key

    return Keys(
        key("acme-analyst", Role.ANALYST, acme),
        key("acme-uploads", Role.PLATFORM, acme),
        key("beta-analyst", Role.ANALYST, beta),
        acme,
        beta,
    )


@pytest.fixture
def page(browser: Browser, served: Served) -> Iterator[Page]:
    """A fresh browser context (no cookies) on the served console."""
    context = browser.new_context(base_url=served.base, viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Page, key: str) -> None:
    page.goto("/console/sign-in")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/console/(?!sign-in).*"))


def unique(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:6]}"


def shoot(page: Page, name: str, database: str, **options: Any) -> None:
    """Save a screenshot for the docs when asked to (once: from the SQLite run)."""
    if SCREENSHOTS and not database.startswith("postgresql"):
        folder = Path(SCREENSHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"console-{name}.png"), **options)
