"""schemathesis' stateful mode (20 sequences in `make test`, 100 in `make fuzz`): sequences of
calls that follow the links it infers between operations (an application created, then read,
acted on, messaged), as an applicant and as an admin, with the same checks as the per-operation
run."""

from __future__ import annotations

import os
import time

import pytest
from hypothesis import HealthCheck, settings

from tests.schemathesis_setup import CHECKS, Callers, open_schema, seed_world

SEQUENCES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "20"))


@pytest.mark.parametrize("role", ["applicant", "admin"])
def test_sequences_of_calls_conform_to_the_document(app, client, tmp_path, role):
    schema = open_schema(app, coverage=False, stateful=True)
    caller = Callers(app, client, role)
    seed_world(app, client, tmp_path, caller.headers() if role == "applicant" else None)

    class Machine(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            caller.cases += 1
            return {"headers": caller.headers()}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, checks=CHECKS)
            caller.undo_maintenance(case, response)

    started = time.monotonic()
    Machine.run(
        settings=settings(
            max_examples=SEQUENCES,
            derandomize=True,
            database=None,
            deadline=None,
            stateful_step_count=10,
            suppress_health_check=list(HealthCheck),
        )
    )
    caller.report(f"stateful {role}", time.monotonic() - started)
