"""The fault table in its short form (`make faults` runs the full one): each fault against the
real bot process and the Bot API emulator; a fault holds when nothing acknowledged was lost,
nothing crashed, nothing leaked and duplicates stayed within the fault's bar."""

from __future__ import annotations

import io

import pytest

from tests.faults.harness import print_table, run_fault
from tests.faults.table import FAULTS


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.__name__.removeprefix("fault_"))
def test_the_fault_holds(fault, request):
    rasa = request.getfixturevalue("rasa_server").url if getattr(fault, "needs_rasa", False) else None
    row = run_fault(fault, size="short", rasa_url=rasa)
    out = io.StringIO()
    print_table([row], out)
    assert row.tries > 0, out.getvalue()
    assert row.ok, out.getvalue()
