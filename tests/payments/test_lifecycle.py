"""The payment state table itself: what is final, what is open, what a late event may do."""

from __future__ import annotations

import pytest

from payments import lifecycle as pl

STATES = (pl.PENDING, pl.FAILED, pl.SUCCEEDED, pl.CANCELED, pl.EXPIRED)


def test_every_state_is_in_the_table_and_final_states_lead_nowhere():
    assert set(pl.TRANSITIONS) == set(STATES)
    assert {s for s, targets in pl.TRANSITIONS.items() if not targets} == {
        pl.SUCCEEDED,
        pl.CANCELED,
        pl.EXPIRED,
    }


def test_open_payments_are_exactly_those_that_can_still_be_paid():
    assert {s for s in STATES if pl.can_move(s, pl.SUCCEEDED)} == pl.OPEN


@pytest.mark.parametrize("late", [pl.FAILED, pl.CANCELED, pl.EXPIRED, pl.PENDING])
def test_nothing_undoes_a_success(late):
    assert not pl.can_move(pl.SUCCEEDED, late)
    with pytest.raises(pl.InvalidTransition):
        pl.check(pl.SUCCEEDED, late)


def test_a_failed_payment_takes_another_card_and_is_failed_again():
    assert pl.can_move(pl.FAILED, pl.FAILED) and pl.can_move(pl.FAILED, pl.SUCCEEDED)


def test_the_table_prints_one_line_per_transition():
    lines = pl.graph().splitlines()
    assert len(lines) == sum(len(t) for t in pl.TRANSITIONS.values())
    assert "   pending --> succeeded" in lines
