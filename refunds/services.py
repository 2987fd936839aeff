"""Job entry points under their old paths, and nothing else.

Jobs enqueued before the split name `refunds.services.send_refund` (an rq job in Redis keeps
its task path), and a periodic entry may still name `refunds.services.reconcile_refunds`: both
resolve here to the jobs in `refunds/tasks.py`. The use cases live in `refunds/requests.py`,
`decisions.py`, `payout.py`, `transfers.py` and `queries.py`; import them from there.
"""

from __future__ import annotations

from refunds.tasks import reconcile_refunds, send_refund

__all__ = ["reconcile_refunds", "send_refund"]
