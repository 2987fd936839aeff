"""A worker's warm-up: the sample receipt is a whole receipt (every key the template asks for),
laid out without the database; a warm-up that fails does not stop the worker."""

from __future__ import annotations

import io

from pypdf import PdfReader
from redis import Redis

from app import pdf
from tests.statements import statements


def test_the_warm_up_lays_out_a_whole_receipt_and_reads_no_database(app):
    with app.app_context(), statements(app) as sent:
        pdf.warm_up()
        document = pdf.render_pdf("receipt.html.j2", pdf._sample_receipt())
    assert sent == []
    assert document.startswith(b"%PDF")
    text = PdfReader(io.BytesIO(document)).pages[0].extract_text()
    assert "NBG-RC-2026-000000" in text and "12.500" in text


def test_a_worker_whose_warm_up_fails_still_runs(app, redis_server, monkeypatch):
    Redis.from_url(redis_server.url).flushall()

    def broken():
        raise OSError("no fonts here")

    monkeypatch.setattr(pdf, "warm_up", broken)
    monkeypatch.setitem(app.config, "REDIS_URL", redis_server.url)
    result = app.test_cli_runner().invoke(args=["jobs", "worker", "--burst"])
    assert result.exit_code == 0, result.output
