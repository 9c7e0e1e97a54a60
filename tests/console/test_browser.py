"""The console in a real headless Chromium against a real server: every analyst task, done
through the pages as a person would (clicks, keys, a dropped file), on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import io
import random
import re
from urllib.parse import urlsplit

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from hashdb.hashing import Digest
from hashdb.identity import Principal
from hashdb.service import EntryMetadata, HashDB
from hashdb.settings import Settings
from hashdb.store.models import ReviewStatus
from hashdb.testing import robustness as data
from hashdb.testing.images import encode, jpeg
from tests.api.serving import Served
from tests.console.conftest import Keys, shoot, sign_in, unique

pytestmark = pytest.mark.browser

#: The contrast ratio of each visible piece of text on a page with its background.
CONTRAST = """() => {
    const rgb = (value) => value.match(/[\\d.]+/g).slice(0, 3).map(Number);
    const luminance = (value) => {
        const [r, g, b] = rgb(value).map((c) => {
            c /= 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const background = (element) => {
        for (let node = element; node; node = node.parentElement) {
            const colour = getComputedStyle(node).backgroundColor;
            if (!colour.startsWith("rgba") || !colour.endsWith(", 0)")) return colour;
        }
        return "rgb(255, 255, 255)";
    };
    return Array.from(document.querySelectorAll(
        "main p, main label, .hint, main a, button, th, td, header.top a"
    )).filter((element) => element.offsetParent !== null).map((element) => {
        const [a, b] = [luminance(getComputedStyle(element).color),
                        luminance(background(element))];
        return [element.tagName + "." + element.className,
                (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)];
    });
}"""


def create_list(page: Page, name: str, *, sharing: str = "", action: str = "block") -> None:
    page.goto("/console/lists")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Action").select_option(action)
    if sharing:
        page.get_by_label("Sharing").select_option(sharing)
    page.get_by_role("button", name="Create list").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"List {name}")


def drop_files(page: Page, selector: str, files: list[tuple[str, bytes, str]]) -> None:
    """Drop files on an element the way a person drags them from their desktop."""
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const [name, encoded, type] of files) {
                const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name, { type }));
            }
            return transfer;
        }""",
        [[name, base64.b64encode(body).decode(), kind] for name, body, kind in files],
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def test_sign_in_wrong_key_then_sign_out(page: Page, served: Served) -> None:
    page.goto("/console/lists")
    expect(page).to_have_url(re.compile(r"/console/sign-in\?next=/console/lists"))
    page.get_by_label("API key").fill("hdb_not-a-real-key-at-all-0000000000")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    page.get_by_label("API key").fill(served.key)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/console/lists$"))
    cookie = next(c for c in page.context.cookies() if c["name"] == "hashdb_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    assert served.key not in cookie["value"]
    expect(page.get_by_role("link", name="Keys")).to_be_visible()  # the bootstrap key is admin
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You signed out")
    page.goto("/console/lists")
    expect(page).to_have_url(re.compile(r"/console/sign-in"))


def test_add_media_by_dropping_files(page: Page, keys: Keys, database: str) -> None:
    sign_in(page, keys.acme_analyst)
    name = unique("terror")
    create_list(page, name)
    page.goto(f"/console/add?list={name}")
    flat = Image.new("RGB", (300, 200), (128, 128, 128))
    drop_files(
        page,
        "#dropzone",
        [
            ("first.jpg", jpeg(31), "image/jpeg"),
            ("second.jpg", jpeg(32), "image/jpeg"),
            ("flat.png", data.encode(flat), "image/jpeg"),
            ("broken.jpg", b"\xff\xd8\xff not really a jpeg", "image/jpeg"),
        ],
    )
    expect(page.locator("#chosen-files li")).to_have_count(4)
    page.get_by_label("Label", exact=True).first.fill("dropped")
    page.get_by_role("button", name="Add", exact=True).click()
    results = page.locator("article.file-result")
    expect(results).to_have_count(4)
    shoot(page, "add", database, clip={"x": 0, "y": 0, "width": 1280, "height": 1100})
    first = page.locator('article.file-result[data-file="first.jpg"]')
    expect(first).to_contain_text(f"new hashes on {name}")
    algorithms = {cell.inner_text() for cell in first.locator("tbody tr td:first-child").all()}
    assert {"pdq", "md5", "sha256"} <= algorithms
    quality = first.locator("tbody tr", has_text="pdq").locator("td.num")
    assert int(quality.inner_text()) >= 50
    flat_result = page.locator('article.file-result[data-file="flat.png"]')
    expect(flat_result.locator(".refused").first).to_contain_text("too little detail")
    broken = page.locator('article.file-result[data-file="broken.jpg"]')
    expect(broken.locator(".refused")).to_contain_text("Refused:")


def test_review_confirm_dismiss_allow_by_click_and_key(
    page: Page, keys: Keys, hub: HashDB, database: str
) -> None:
    sign_in(page, keys.acme_analyst)
    name = unique("watch")
    create_list(page, name, action="review")
    page.locator("#threshold-pdq").fill("20")
    page.get_by_role("button", name="Save matching").click()
    page.locator("#radius-pdq").fill("45")
    page.get_by_role("button", name="Save sharing and review").click()
    expect(page.get_by_role("status")).to_contain_text("review radius saved")
    seed = random.Random(name)
    value = seed.randbytes(32)
    hub.adding.hex(
        name, "pdq", [value.hex()], EntryMetadata(label="known"), principal=_principal(hub, keys)
    )
    platform = hub.keys.authenticate(keys.acme_platform)
    for _ in range(3):  # three near-misses, 30 bits from the entry: one for each action
        number = int.from_bytes(value, "big")
        for bit in seed.sample(range(256), 30):
            number ^= 1 << bit
        hub.matching.digests([Digest("pdq", number.to_bytes(32, "big"), 90)], principal=platform)
    page.goto(f"/console/review?list={name}")
    cards = page.locator("article.review-item")
    expect(cards).to_have_count(3)
    expect(cards.first).to_contain_text("30 bits of pdq")
    expect(cards.first).to_contain_text("Stage")
    shoot(page, "review", database, full_page=True)
    ids = [int(card.get_attribute("data-item") or 0) for card in cards.all()]
    expect(cards.first).to_be_focused()
    page.keyboard.press("c")  # confirm the selected (first) near-miss by its shortcut
    expect(page.get_by_role("status")).to_contain_text("Confirmed")
    expect(cards).to_have_count(2)
    cards.first.get_by_role("button", name=re.compile("Dismiss")).click()
    expect(page.get_by_role("status")).to_contain_text("Dismissed")
    cards.first.get_by_role("button", name=re.compile("Allow-list")).click()
    expect(page.get_by_role("status")).to_contain_text("Allow-listed")
    expect(page.locator("#empty-queue")).to_be_visible()
    statuses = {
        item.id: item.status
        for item in hub.review.queue(_principal(hub, keys), status=None, list_name=name)
    }
    assert [statuses[i] for i in ids] == [
        ReviewStatus.CONFIRMED,
        ReviewStatus.DISMISSED,
        ReviewStatus.ALLOWED,
    ]


def test_match_tester_draws_a_geometric_match(page: Page, keys: Keys, database: str) -> None:
    sign_in(page, keys.acme_analyst)
    name = unique("posters")
    create_list(page, name)
    picture = data.poster(41)
    page.goto(f"/console/add?list={name}")
    page.get_by_label("Images or videos").set_input_files(
        [{"name": "poster.jpg", "mimeType": "image/jpeg", "buffer": data.encode(picture, 95)}]
    )
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("article.file-result")).to_contain_text("new hashes")
    # The poster shown small inside a page of other content.
    page_picture = Image.new("RGB", (1280, 860), (246, 246, 246))
    page_picture.paste(
        picture.resize((420, round(picture.height * 420 / picture.width))), (500, 200)
    )
    page.goto("/console/match")
    page.get_by_label("Image or video").set_input_files(
        [{"name": "screenshot.jpg", "mimeType": "image/jpeg", "buffer": data.encode(page_picture)}]
    )
    page.get_by_role("button", name="Match").click()
    expect(page.locator("#verdict")).to_contain_text("Matched")
    match = page.locator('article.match[data-stage="geometric"]')
    expect(match).to_contain_text("geometric")
    evidence = match.locator("svg.evidence")
    expect(evidence).to_be_visible()
    href = evidence.locator("image[data-upload]").get_attribute("href") or ""
    assert href.startswith("blob:")  # the upload itself, from the browser: never kept
    assert evidence.locator("line.inlier").count() >= 14
    points = [
        tuple(float(v) for v in point.split(","))
        for point in (evidence.locator("polygon.region").get_attribute("points") or "").split()
    ]
    assert len(points) == 4
    upload = evidence.locator("rect.frame").first
    x, width = float(upload.get_attribute("x") or 0), float(upload.get_attribute("width") or 0)
    # The outline sits where the poster was pasted: 500-920 of the page's 1280 pixels.
    left = min(p[0] for p in points)
    right = max(p[0] for p in points)
    assert (left - x) / width == pytest.approx(500 / 1280, abs=0.02)
    assert (right - x) / width == pytest.approx(920 / 1280, abs=0.02)
    match.locator("label.veil").click()  # reveal: the picture is blurred until clicked
    shoot(page, "match", database, full_page=True)


#: The picture shield's filter until a thumbnail is revealed (console.css).
VEILED = "blur(14px) grayscale(1)"


def test_review_shows_kept_thumbnails_blurred_until_clicked(
    page: Page, keys: Keys, served: Served, database: str
) -> None:
    sign_in(page, keys.acme_analyst)
    name = unique("kept")
    create_list(page, name, action="review", sharing="private")
    page.locator("#threshold-pdq").fill("20")
    page.get_by_role("button", name="Save matching").click()
    page.locator("#radius-pdq").fill("45")
    page.get_by_label("Keep a thumbnail of media added to this list").check()
    page.get_by_role("button", name="Save sharing and review").click()
    expect(page.locator("dl.facts")).to_contain_text("kept of media added to it")
    reference = jpeg(31)
    page.goto(f"/console/add?list={name}")
    page.get_by_label("Images or videos").set_input_files(
        [{"name": "known.jpg", "mimeType": "image/jpeg", "buffer": reference}]
    )
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("article.file-result")).to_contain_text("new hashes")
    # A platform uploads a copy with its top-left quarter painted over: 26 PDQ bits away, a
    # near-miss (matched here without the robust stage, which would call it a match).
    upload = Image.open(io.BytesIO(reference)).convert("RGB")
    ImageDraw.Draw(upload).rectangle((0, 0, upload.width // 2, upload.height // 2), fill="red")
    matcher = HashDB(Settings(db=served.db, refresh_interval=0, robust_matching=False))
    try:
        platform = matcher.keys.authenticate(keys.acme_platform)
        result = matcher.matching.media(encode(upload), [name], principal=platform)
        assert not result.matched and len(result.review_items) == 1
    finally:
        matcher.close()

    page.goto(f"/console/review?list={name}")
    card = page.locator("article.review-item")
    expect(card).to_have_count(1)
    pictures = card.locator("figure.thumbnail img")
    expect(pictures).to_have_count(2)  # the upload, and the reference its list keeps
    for picture in pictures.all():
        # Loaded from the console under its content security policy, and veiled.
        assert picture.evaluate("(img) => img.complete && img.naturalWidth") > 0
        assert picture.evaluate("(img) => getComputedStyle(img).filter") == VEILED
    seen, known = pictures.all()
    card.locator("label.veil").first.click()  # reveal the upload only
    expect(seen).to_have_css("filter", "none")
    assert known.evaluate("(img) => getComputedStyle(img).filter") == VEILED
    shoot(page, "review-thumbnails", database, full_page=True)

    # Another organisation's analyst gets nothing of them, whatever address it tries.
    sources = [picture.get_attribute("src") or "" for picture in pictures.all()]
    other = page.context.browser.new_context(base_url=served.base)  # type: ignore[union-attr]
    try:
        beta = other.new_page()
        sign_in(beta, keys.beta_analyst)
        for source in sources:
            assert source.startswith("/console/thumbnails/")
            assert beta.request.get(source).status == 404
    finally:
        other.close()
    # Dismissing the near-miss deletes its upload's thumbnail; the reference's stays.
    card.get_by_role("button", name=re.compile("Dismiss")).click()
    expect(page.get_by_role("status")).to_contain_text("Dismissed")
    assert page.request.get(sources[0]).status == 404
    assert page.request.get(sources[1]).status == 200


def test_keys_created_once_revoked_and_audited(page: Page, served: Served) -> None:
    sign_in(page, served.key)
    page.goto("/console/keys")
    name = unique("ops")
    page.get_by_label("Name").fill(name)
    page.get_by_label("Role").select_option("analyst")
    page.get_by_role("button", name="Create key").click()
    created = page.get_by_label("The key").input_value()
    assert created.startswith("hdb_")
    page.goto("/console/keys")  # shown once: the page never shows it again
    assert created not in page.content()
    other = page.context.browser.new_context(base_url=served.base)  # type: ignore[union-attr]
    try:
        second = other.new_page()
        sign_in(second, created)
        second.goto("/console/lists")
        expect(second.get_by_role("heading", level=1)).to_have_text("Lists")
        page.goto("/console/keys")
        row = page.locator("tr", has_text=name)
        row.get_by_role("button", name=f"Revoke key {name}").click()
        expect(page.get_by_role("status")).to_contain_text("revoked")
        second.goto("/console/lists")  # the revoked key's session ends at its next request
        expect(second).to_have_url(re.compile(r"/console/sign-in"))
        expect(second.get_by_role("status")).to_contain_text("revoked")
    finally:
        other.close()
    page.goto("/console/audit?target_type=key")
    records = page.locator("#audit-records tbody tr")
    expect(records.filter(has_text="key.create").filter(has_text=name).first).to_be_visible()
    expect(records.filter(has_text="key.revoke").first).to_be_visible()


def test_another_organisation_never_sees_private_media(
    page: Page, keys: Keys, served: Served
) -> None:
    sign_in(page, keys.acme_analyst)
    name = unique("acme-private")
    create_list(page, name, sharing="private")
    upload = jpeg(51)
    page.goto(f"/console/add?list={name}")
    page.get_by_label("Images or videos").set_input_files(
        [{"name": "private.jpg", "mimeType": "image/jpeg", "buffer": upload}]
    )
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("article.file-result")).to_contain_text("new hashes")
    other = page.context.browser.new_context(base_url=served.base)  # type: ignore[union-attr]
    try:
        beta = other.new_page()
        sign_in(beta, keys.beta_analyst)
        beta.goto("/console/lists")
        expect(beta.get_by_role("heading", level=1)).to_have_text("Lists")
        assert name not in beta.content()
        response = beta.goto(f"/console/lists/{name}")
        assert response is not None and response.status == 404
        beta.goto("/console/match")
        beta.get_by_label("Image or video").set_input_files(
            [{"name": "same.jpg", "mimeType": "image/jpeg", "buffer": upload}]
        )
        beta.get_by_role("button", name="Match").click()
        expect(beta.locator("#verdict")).to_have_text("No match.")
        beta.goto("/console/add")
        assert name not in beta.content()
    finally:
        other.close()


def test_items_searched_opened_relabelled_retired_and_restored(
    page: Page, keys: Keys, hub: HashDB, served: Served, database: str
) -> None:
    sign_in(page, keys.acme_analyst)
    name = unique("acme-items")
    create_list(page, name, sharing="private")
    upload = jpeg(61)
    acme = _principal(hub, keys)
    report = hub.adding.media(name, upload, EntryMetadata(label="group-x"), principal=acme)
    (item_id,) = {added.item_id for added in report.added}
    platform = hub.keys.authenticate(keys.acme_platform)

    page.goto("/console/items")
    page.get_by_label("List").select_option(name)
    page.get_by_label("Label").fill("group-x")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#items tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link", name=str(item_id)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Item {item_id}")
    expect(page.locator("#item-hashes tbody tr")).to_have_count(len(report.added))
    expect(page.locator("#item-feedback")).to_have_text("0 agree, 0 disagree")
    expect(page.locator("#item-audit")).to_contain_text("entry.add")

    page.get_by_label("Label", exact=True).fill("group-y")
    page.get_by_role("button", name="Save label and note").click()
    expect(page.get_by_role("status")).to_contain_text("saved on every hash")
    assert {entry.label for entry in hub.items.get(item_id, acme).entries} == {"group-y"}

    page.get_by_label("Reason").fill("a stock photo")
    page.get_by_role("button", name="Retire every hash of this item").click()
    expect(page.get_by_role("status")).to_contain_text("Retired")
    expect(page.locator("#item-retired")).to_contain_text("a stock photo")
    expect(page.locator("#item-audit")).to_contain_text("item.retire")
    shoot(page, "item", database, full_page=True)
    assert not hub.matching.media(upload, principal=platform).matched
    page.get_by_role("button", name="Restore: its hashes match again").click()
    expect(page.get_by_role("status")).to_contain_text("Restored")
    assert hub.matching.media(upload, principal=platform).matched

    # The same file, uploaded to the search, finds the item.
    page.goto("/console/items")
    page.get_by_label("Or find a file").set_input_files(
        [{"name": "same.jpg", "mimeType": "image/jpeg", "buffer": upload}]
    )
    page.get_by_role("button", name="Find file").click()
    expect(page.locator("#items tbody tr")).to_have_count(1)
    expect(page.locator("#items")).to_contain_text(name)

    # A retire posted without the session's token is refused.
    forged = page.request.post(f"/console/items/{item_id}/retire", form={"reason": "forged"})
    assert forged.status == 403 and hub.items.get(item_id, acme).live

    other = page.context.browser.new_context(base_url=served.base)  # type: ignore[union-attr]
    try:
        beta = other.new_page()
        sign_in(beta, keys.beta_analyst)
        beta.goto("/console/items")
        expect(beta.get_by_role("heading", level=1)).to_have_text("Items")
        assert name not in beta.content()
        response = beta.goto(f"/console/items/{item_id}")
        assert response is not None and response.status == 404
        assert "group-y" not in beta.content()
        beta.goto("/console/items")
        token = beta.locator("input[name=csrf_token]").first.input_value()
        refused = beta.request.post(
            f"/console/items/{item_id}/retire", form={"reason": "beta", "csrf_token": token}
        )
        assert refused.status == 404 and hub.items.get(item_id, acme).live
    finally:
        other.close()


def test_form_posts_without_the_session_token_are_refused(page: Page, keys: Keys) -> None:
    sign_in(page, keys.acme_analyst)
    name = unique("forged")
    refused = page.request.post("/console/lists", form={"name": name, "action": "block"})
    assert refused.status == 403 and "CSRF" in refused.text()
    page.goto("/console/lists")
    token = page.locator("input[name=csrf_token]").first.input_value()
    foreign = page.request.post(
        "/console/lists",
        form={"name": name, "action": "block", "csrf_token": token},
        headers={"Origin": "http://attacker.example"},
    )
    assert foreign.status == 403
    # The real form, with its token field taken out, is refused too.
    page.evaluate(
        "document.querySelector('form[action$=\"/lists\"] input[name=csrf_token]').remove()"
    )
    page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Create list").click()
    expect(page.get_by_role("alert")).to_contain_text("CSRF")
    page.goto("/console/lists")
    assert name not in page.content()


def test_docs_and_console_load_nothing_from_other_hosts(page: Page, served: Served) -> None:
    host = urlsplit(served.base).netloc
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto("/docs")
    expect(page.get_by_role("heading", level=1)).to_contain_text("hashdb")
    sign_in(page, served.key)
    for path in (
        "/console/lists",
        "/console/items",
        "/console/review",
        "/console/match",
        "/console/add",
    ):
        page.goto(path)
    outside = [url for url in requested if urlsplit(url).netloc not in (host, "")]
    assert not [url for url in outside if not url.startswith(("data:", "blob:"))], outside


def test_pages_are_usable_by_keyboard_and_labelled(page: Page, served: Served) -> None:
    sign_in(page, served.key)
    for path in (
        "/console/lists",
        "/console/items",
        "/console/add",
        "/console/review",
        "/console/match",
        "/console/audit",
        "/console/keys",
        "/console/settings",
    ):
        page.goto(path)
        unlabelled = page.evaluate(
            """() => Array.from(document.querySelectorAll('input, select, textarea'))
                .filter((field) => field.type !== 'hidden' && !field.closest('.shield'))
                .filter((field) => !(field.labels && field.labels.length) &&
                                   !field.getAttribute('aria-label'))
                .map((field) => field.name || field.id)"""
        )
        assert unlabelled == [], (path, unlabelled)
        # Text on its background: at least 4.5:1 (WCAG AA) for body text, hints, links, buttons.
        ratios = page.evaluate(CONTRAST)
        assert ratios and min(r for _, r in ratios) >= 4.5, (path, min(ratios, key=lambda r: r[1]))
    page.goto("/console/lists")
    page.keyboard.press("Tab")  # the skip link comes first
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline not in ("none", "")


def _principal(hub: HashDB, keys: Keys) -> Principal:
    return hub.keys.authenticate(keys.acme_analyst)
