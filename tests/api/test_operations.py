"""Operations and limits: readiness, metrics, request ids, early 413, bombs, 415, logs."""

from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from api.app import create_app
from api.logs import JSONFormatter, request_id
from hashdb.identity import LOCAL_OPERATOR, Role
from hashdb.service import EntryMetadata, HashDB
from hashdb.testing.images import jpeg
from tests.api.conftest import auth


def test_health_and_readiness(client: TestClient, service: HashDB) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready"}
    service.store.close()
    del service.store  # the next use opens the database again, at an unusable path
    service.settings.db = "/nonexistent-dir/x.sqlite"
    broken = client.get("/readyz")
    assert broken.status_code == 503 and broken.json()["code"] == "store_unavailable"


def test_metrics_count_requests_matches_and_index_size(client: TestClient, service: HashDB) -> None:
    data = jpeg(1)
    service.adding.media("terror", data, EntryMetadata(), principal=LOCAL_OPERATOR)
    client.post("/v1/match", files={"file": ("x.jpg", data)})
    client.post("/v1/match", files={"file": ("x.jpg", b"not an image")})
    text = client.get("/metrics").text
    assert 'hashdb_http_requests_total{method="POST",route="/v1/match",status="200"} 1.0' in text
    assert 'hashdb_http_requests_total{method="POST",route="/v1/match",status="415"} 1.0' in text
    assert 'hashdb_matches_total{action="block",algorithm="pdq"} 1.0' in text
    assert "terror" not in text  # no metric names a list
    assert 'hashdb_http_request_duration_seconds_bucket{le="10.0",method="POST"' in text
    assert 'hashdb_index_entries{algorithm="pdq"' in text
    pdq_line = next(line for line in text.splitlines() if 'index_entries{algorithm="pdq"' in line)
    assert pdq_line.endswith(" 1.0")


def test_request_id_is_echoed_or_made(client: TestClient) -> None:
    given = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(made.headers["x-request-id"]) == 32
    assert client.get("/healthz").headers["x-request-id"] != made.headers["x-request-id"]


def test_json_log_lines_carry_the_request_id() -> None:
    token = request_id.set("rid-1")
    try:
        record = logging.makeLogRecord({"msg": "request", "levelname": "INFO", "status": 200})
        line = json.loads(JSONFormatter().format(record))
    finally:
        request_id.reset(token)
    assert line["request_id"] == "rid-1" and line["status"] == 200 and line["message"] == "request"


@pytest.fixture
def small_client(service: HashDB, api_keys: dict[Role, str]) -> TestClient:
    service.settings.max_upload_bytes = 20_000
    # The early, Content-Length check applies the larger of the image and video limits.
    service.settings.video_max_bytes = 40_000
    test_client = TestClient(create_app(service=service))
    test_client.headers.update(auth(api_keys[Role.PLATFORM]))
    return test_client


def test_oversized_body_is_413_from_content_length_before_reading(
    small_client: TestClient,
) -> None:
    response = small_client.post(
        "/v1/match",
        content=b"x" * 200_000,
        headers={"Content-Type": "multipart/form-data; boundary=zz"},
    )
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "upload_too_large"


def test_streamed_body_without_length_is_cut_at_the_limit(small_client: TestClient) -> None:
    def chunks() -> object:
        for _ in range(50):
            yield b"y" * 10_000

    response = small_client.post(
        "/v1/match",
        content=chunks(),  # type: ignore[arg-type]
        headers={"Content-Type": "multipart/form-data; boundary=zz"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "upload_too_large"


def test_file_over_the_limit_but_within_slack_is_413(small_client: TestClient) -> None:
    response = small_client.post("/v1/match", files={"file": ("x.bin", b"\xff" * 30_000)})
    assert response.status_code == 413


def test_decompression_bomb_is_422_and_non_image_415(client: TestClient) -> None:
    buffer = io.BytesIO()
    Image.new("L", (12_000, 10_000)).save(buffer, "PNG")  # 120 M pixels, a small file
    bomb = client.post("/v1/match", files={"file": ("bomb.png", buffer.getvalue())})
    assert bomb.status_code == 422 and bomb.json()["code"] == "media_too_large"
    text = client.post("/v1/match", files={"file": ("a.jpg", b"%PDF-1.4 not an image")})
    assert text.status_code == 415 and text.json()["code"] == "unsupported_media"
