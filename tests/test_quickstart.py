"""The README's quickstart, run exactly as written: its shell blocks, with bash, against the app
served over HTTP on a free port and localstripe delivering its webhooks to it, so the walk a
newcomer follows cannot rot."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from app.extensions import db
from receipts.models import Receipt
from tests.factories import bearer, login
from tests.payments.conftest import live, localstripe, stripe_app  # noqa: F401 - fixtures

README = Path(__file__).resolve().parents[1] / "README.md"
# What the README shows each step printing, in order.
MARKERS = [
    "applicant",
    "3.000",
    "civil_id_copy",
    "lease_contract",
    "title_deed",
    "payment_pending",
    "requires_confirmation",
    "succeeded",
    "in_review",
]


def quickstart_script() -> str:
    """Every ```sh block of the Quickstart section, in order, as the README has them."""
    text = README.read_text()
    section = text[text.index("\n## Quickstart") :]
    section = section[: section.index("\n## ", 1)]
    blocks = re.findall(r"^```sh\n(.*?)^```$", section, flags=re.S | re.M)
    assert len(blocks) >= 5, "the quickstart lost its shell blocks"
    return "\n".join(blocks)


@pytest.fixture
def served(stripe_app, live):  # noqa: F811 - fixtures
    """The served instance, its links (verification_url) pointing at itself."""
    saved = stripe_app.config["PUBLIC_BASE_URL"]
    stripe_app.config["PUBLIC_BASE_URL"] = live.url
    yield live
    stripe_app.config["PUBLIC_BASE_URL"] = saved


def test_the_quickstart_walks_from_registering_to_a_verified_receipt(
    stripe_app,  # noqa: F811
    served,
    localstripe,  # noqa: F811
    tmp_path,
):
    env = {"PATH": os.environ["PATH"], "BASE": served.url, "STRIPE": localstripe.url}
    walk = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", quickstart_script()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert walk.returncode == 0, walk.stdout + walk.stderr
    lines = walk.stdout.splitlines()
    shown = iter(lines)
    for marker in MARKERS:  # each in its place: the README's comments tell the same story
        assert any(line == marker for line in shown), (marker, walk.stdout)
    reference = lines[lines.index("3.000") + 1]  # the application's, shown after the fee
    number, pdf_head, verified = lines[-3:]
    assert re.fullmatch(r"NBG-\d{4}-\d{6}", reference)
    with stripe_app.app_context():
        receipt = db.session.scalar(
            sa.select(Receipt).where(Receipt.application_reference == reference)
        )
        assert number == receipt.number
        db.session.remove()
    assert pdf_head == "%PDF-1.7"
    pdf = PdfReader(io.BytesIO((tmp_path / "receipt.pdf").read_bytes()))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert number in text and reference in text
    answer = json.loads(verified)
    assert answer["valid"] is True and answer["amount"] == "3.000"
    assert answer["authority"]["code"] == "NBG"
    assert answer["service"]["code"] == "NBG-LEASE-REGISTER"
    assert PdfReader(tmp_path / "blank.pdf", strict=True).pages[0].mediabox.width == 595
    _the_demo_staff_find_the_walk(stripe_app, reference)


def _the_demo_staff_find_the_walk(app, reference) -> None:
    """What the README says the demo staff see after the walk."""
    seeded = app.test_cli_runner().invoke(
        args=["seed", "--demo", "--i-know-this-is-not-production"]
    )
    assert seeded.exit_code == 0, seeded.output
    client = app.test_client()
    inspector = bearer(login(client, "demo.inspector@example.om", "falaj water survey 2031"))
    queue = client.get("/api/v1/applications", headers=inspector).get_json()
    assert [a["state"] for a in queue if a["reference"] == reference] == ["in_review"]
    finance = bearer(login(client, "demo.finance1@example.om", "amber ledger morning 4417"))
    payments = client.get(f"/api/v1/payments?application={reference}", headers=finance).json
    assert [(p["state"], p["amount"]) for p in payments] == [("succeeded", "3.000")]
