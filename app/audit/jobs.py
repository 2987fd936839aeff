"""Periodic check of the audit log's chains."""

from __future__ import annotations

import logging

from app.audit.verify import verify_chains

log = logging.getLogger(__name__)


def verify_audit_log() -> bool:
    """Periodic: verify every chain; an error names each broken chain's first broken link.
    Each intact chain's head is logged too: logs kept apart from the database are a record of
    the heads a rewrite of the whole chain would have to match."""
    report = verify_chains()
    for chain in report.chains:
        if chain.broken:
            broken = chain.broken
            log.error(
                "audit chain broken",
                extra={
                    "chain": broken.chain,
                    "seq": broken.seq,
                    "row_id": broken.row_id,
                    "problem": broken.problem,
                    "detail": broken.detail,
                },
            )
        else:
            log.info(
                "audit chain intact",
                extra={
                    "chain": chain.chain,
                    "rows": chain.rows,
                    "head_seq": chain.head_seq,
                    "head_hash": chain.head_hash,
                },
            )
    return report.intact
