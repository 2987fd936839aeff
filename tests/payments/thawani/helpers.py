"""What the Thawani tests share: the return URLs and one way to start a payment."""

from __future__ import annotations

from payments.gateways.base import ReturnUrls

RETURN = ReturnUrls(success="https://baladiya.test/paid", cancel="https://baladiya.test/back")


def start(gateway, reference: str = "pay-LIC-1-1", amount: int = 12_500):
    return gateway.start_payment(
        amount, reference, "Trade licence fee", {"payment": reference, "authority": "MCT"}, RETURN
    )
