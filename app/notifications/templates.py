"""The catalogue of notification templates: one Jinja file per event and language.

`templates/<event>.<ar|en>.j2` holds four blocks: `title` (e-mail subject, in-app title), `text`
(plain e-mail body and in-app body), `html` (HTML e-mail body, inside `_layout.<lang>.html.j2`)
and `sms`. A missing variable is an error, not a blank.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

FOLDER = Path(__file__).parent / "templates"

# Every event and the variables its templates need. Later features add theirs here.
EVENTS: dict[str, frozenset[str]] = {
    "submitted": frozenset({"reference", "service_ar", "service_en", "due_date"}),
    "payment_received": frozenset(
        {"reference", "amount", "service_ar", "service_en", "receipt_number", "verify_url"}
    ),
    "info_requested": frozenset({"reference", "note_ar", "note_en"}),
    "inspection_scheduled": frozenset({"reference", "inspection_date"}),
    "approved": frozenset({"reference", "service_ar", "service_en"}),
    "rejected": frozenset({"reference", "service_ar", "service_en", "reason_ar", "reason_en"}),
    "licence_issued": frozenset({"licence_number", "valid_until", "verification_url"}),
    "application_completed": frozenset({"reference", "service_ar", "service_en"}),
    "payment_due": frozenset({"reference", "service_ar", "service_en", "amount"}),
    "review_started": frozenset({"reference", "service_ar", "service_en", "due_date"}),
    "inspection_recorded": frozenset({"reference"}),
    "answer_received": frozenset({"reference", "due_date"}),
    "withdrawn": frozenset({"reference", "service_ar", "service_en"}),
    "application_cancelled": frozenset(
        {"reference", "service_ar", "service_en", "note_ar", "note_en"}
    ),
    "licence_cancelled": frozenset({"licence_number"}),
    "renewal_due": frozenset({"licence_number", "expires_on", "days_left"}),
    "refund_submitted": frozenset({"refund_reference", "amount"}),
    "refund_decided": frozenset({"refund_reference", "decision_ar", "decision_en", "amount"}),
    "escalation": frozenset({"reference", "service_ar", "service_en", "idle_days", "assignee"}),
    "payment_expired": frozenset({"reference", "service_ar", "service_en"}),
    "refund_evidence_requested": frozenset({"refund_reference", "note"}),
    "refund_completed": frozenset({"refund_reference", "amount", "credit_note"}),
    "priority_decided": frozenset(
        {
            "declaration_reference",
            "decision_ar",
            "decision_en",
            "category_ar",
            "category_en",
            "reason",
        }
    ),
    "message_received": frozenset({"reference", "service_ar", "service_en", "reply_due"}),
    "reply_overdue": frozenset(
        {"reference", "service_ar", "service_en", "written_on", "reply_due", "assignee"}
    ),
    # cases (issue 14): complaints, suggestions, inquiries, support tickets
    "case_received": frozenset({"reference", "kind_ar", "kind_en", "due_date"}),
    "case_acknowledged": frozenset({"reference", "kind_ar", "kind_en", "due_date"}),
    "case_answered": frozenset({"reference", "kind_ar", "kind_en", "answer"}),
    "case_forwarded": frozenset(
        {"reference", "kind_ar", "kind_en", "authority_ar", "authority_en", "new_reference"}
    ),
    "case_escalated": frozenset({"reference", "kind_ar", "kind_en", "note"}),
    "case_idle": frozenset({"reference", "kind_ar", "kind_en", "idle_days", "assignee"}),
    "case_message": frozenset({"reference", "kind_ar", "kind_en", "body"}),
    # the escalation ladder (issue 15, app.escalation): `item_*` names what is escalated
    "sla_at_risk": frozenset(
        {"item_ar", "item_en", "reference", "service_ar", "service_en", "due_date"}
    ),
    "sla_escalated": frozenset(
        {"item_ar", "item_en", "reference", "service_ar", "service_en", "due_date", "level"}
        | {"idle_days", "assignee"}
    ),
    # breach explanations (issue 15): why an application is late and what is being done
    "breach_explained": frozenset(
        {
            "reference",
            "service_ar",
            "service_en",
            "due_date",
            "reason_ar",
            "reason_en",
            "remedy_ar",
            "remedy_en",
        }
    ),
    # password reset (issue 16): the link or the code, and the notice by the other channel
    "password_reset_link": frozenset({"url", "minutes"}),
    "password_reset_code": frozenset({"code", "minutes"}),
    "password_changed": frozenset({"changed_at"}),
    # news by SMS to those who consented to it (app.accounts.consent, marketing_sms)
    "announcement_sms": frozenset({"title_ar", "title_en"}),
    # to the old e-mail or phone when the account's changes (app.accounts.services)
    "contact_changed": frozenset({"what_ar", "what_en", "new"}),
}


@dataclass(frozen=True)
class Rendered:
    title: str
    text: str
    html: str
    sms: str


@cache
def _environment(html: bool) -> Environment:
    return Environment(
        loader=FileSystemLoader(FOLDER),
        undefined=StrictUndefined,
        # Plain text and SMS are never HTML; only the html block is escaped.
        autoescape=select_autoescape(default=True) if html else False,  # noqa: S701
        keep_trailing_newline=False,
    )


def _block(environment: Environment, name: str, block: str, context: dict) -> str:
    template = environment.get_template(name)
    return "".join(template.blocks[block](template.new_context(context))).strip()


def render(event: str, language: str, context: dict) -> Rendered:
    """Render every block of the event's template in `language` with `context`."""
    if event not in EVENTS:
        raise ValueError(f"unknown notification event {event!r}")
    missing = EVENTS[event] - set(context)
    if missing:
        raise ValueError(f"{event} needs {sorted(missing)}")
    name = f"{event}.{language}.j2"
    plain = _environment(False)
    title = _block(plain, name, "title", context)
    html_body = _block(_environment(True), name, "html", context)
    page = (
        _environment(True)
        .get_template(f"_layout.{language}.html.j2")
        .render(title=title, content=_safe(html_body))
    )
    return Rendered(
        title=title,
        text=_block(plain, name, "text", context),
        html=page,
        sms=" ".join(_block(plain, name, "sms", context).split()),
    )


def _safe(html: str):
    from markupsafe import Markup

    return Markup(html)  # noqa: S704 - rendered above with autoescape on
