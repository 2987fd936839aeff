"""Whom an escalation reaches: `escalation_targets` for many (level, service, assignee) keys at
once, in three statements however many keys (the services, the active staff of their
authorities, and their positions with whether each holder is active); the chains are walked in
memory, since an authority has tens of positions, not thousands.

- Level 1: the assignee, if active; with nobody (active) assigned, the level-2 position.
- Level 2: the service's escalation position (`services.escalation_position_id`), by default the
  head of the service's department.
- Level 3: the authority's director.

A position that is unfilled, or whose holder is inactive, passes the escalation one level up
(`reports_to`, and the director when a chain ends below it); each one passed over is in
`skipped`, which `record_passed_over` writes for the admins' list of unfilled positions. Nobody
up the chain: `holder_ids` is empty and `position_id` None.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from app.accounts.models import Role, User
from app.catalogue.models import ESCALATION_CHANNELS, Service
from app.extensions import db
from app.positions.models import Position, PositionCode, PositionGap
from app.timeutil import utcnow

TargetKey = tuple[int, int, int | None]  # (level, service_id, assignee_id)
LEVELS = (1, 2, 3)


@dataclass(frozen=True)
class Target:
    level: int  # the level asked for
    position_id: int | None  # the position notified (None at level 1: the assignee)
    position_code: str | None
    holder_ids: tuple[int, ...]  # active users to notify (empty only if nobody up the chain)
    channels: tuple[str, ...]  # "in_app", "email", "sms": the service's escalation channels
    skipped: tuple[int, ...]  # unfilled positions passed over on the way up (reported)


@dataclass(frozen=True)
class _Post:
    id: int
    authority_id: int
    department_id: int | None
    code: str
    reports_to_id: int | None
    holder_id: int | None  # None when unfilled or its holder is inactive


def escalation_targets(keys: Collection[TargetKey]) -> dict[TargetKey, Target]:
    """The target of each key. A key whose service does not exist, or whose level is not 1, 2
    or 3, is left out of the answer. Reads only; three statements at most."""
    keys = {k for k in keys if k[0] in LEVELS}
    if not keys:
        return {}
    services = {
        row.id: row
        for row in db.session.execute(
            sa.select(
                Service.id,
                Service.authority_id,
                Service.department_id,
                Service.escalation_position_id,
                Service.escalation_channels,
            ).where(Service.id.in_({k[1] for k in keys}))
        )
    }
    if not services:
        return {}
    authorities = {s.authority_id for s in services.values()}
    active_staff = _active_staff(authorities) if any(k[0] == 1 and k[2] for k in keys) else set()
    posts = _posts(authorities)
    heads = {
        p.department_id: p.id for p in posts.values() if p.code == PositionCode.DEPARTMENT_HEAD
    }
    directors = {p.authority_id: p.id for p in posts.values() if p.code == PositionCode.DIRECTOR}
    answer = {}
    for key in keys:
        level, service_id, assignee_id = key
        service = services.get(service_id)
        if service is None:
            continue
        channels = _channels(service.escalation_channels)
        if level == 1 and assignee_id is not None and assignee_id in active_staff:
            answer[key] = Target(1, None, None, (assignee_id,), channels, ())
            continue
        if level == 3:
            start = directors.get(service.authority_id)
        else:
            start = service.escalation_position_id
            if start not in posts or posts[start].authority_id != service.authority_id:
                start = heads.get(service.department_id)
        reached, skipped = _walk(posts, start, directors.get(service.authority_id))
        answer[key] = Target(
            level,
            reached.id if reached else None,
            reached.code if reached else None,
            (reached.holder_id,) if reached else (),
            channels,
            skipped,
        )
    return answer


def record_passed_over(targets: Mapping[TargetKey, Target]) -> int:
    """Record, for the admins (`GET /api/v1/positions?unfilled=true`), each unfilled position
    the given escalations passed over; one INSERT. Call it with the escalations that were sent,
    in their transaction. Answers how many rows it wrote."""
    now = utcnow()
    rows = [
        {"position_id": p, "service_id": key[1], "level": key[0], "passed_over_at": now}
        for key, target in targets.items()
        for p in target.skipped
    ]
    if rows:
        db.session.execute(sa.insert(PositionGap), rows)
    return len(rows)


def _active_staff(authorities: set[int]) -> set[int]:
    return set(
        db.session.scalars(
            sa.select(User.id).where(
                User.authority_id.in_(authorities),
                User.is_active.is_(True),
                User.role != Role.APPLICANT,
            )
        )
    )


def _posts(authorities: set[int]) -> dict[int, _Post]:
    holder = sa.case((User.is_active.is_(True), Position.holder_id), else_=None)
    rows = db.session.execute(
        sa.select(
            Position.id,
            Position.authority_id,
            Position.department_id,
            Position.code,
            Position.reports_to_id,
            holder.label("holder_id"),
        )
        .outerjoin(User, User.id == Position.holder_id)
        .where(Position.authority_id.in_(authorities))
    )
    return {
        r.id: _Post(
            r.id, r.authority_id, r.department_id, str(r.code), r.reports_to_id, r.holder_id
        )
        for r in rows
    }


def _walk(
    posts: dict[int, _Post], start: int | None, director: int | None
) -> tuple[_Post | None, tuple[int, ...]]:
    """The first filled position from `start` up its chain, then the director; and the unfilled
    ones passed over, in order. A cycle (the API refuses them) ends the walk at the director."""
    skipped: list[int] = []
    seen: set[int] = set()
    current = start if start in posts else director
    while current is not None and current not in seen:
        seen.add(current)
        post = posts.get(current)
        if post is None:
            break
        if post.holder_id is not None:
            return post, tuple(skipped)
        skipped.append(post.id)
        current = post.reports_to_id if post.reports_to_id in posts else None
        if current is None or current in seen:
            current = director
    return None, tuple(skipped)


def _channels(stored: list[str] | None) -> tuple[str, ...]:
    chosen = set(stored or ())
    return tuple(c for c in ESCALATION_CHANNELS if c in chosen)
