"""The convergence soak's short mode, both providers, in-process (issue #12).

It must end with nothing mismatched, duplicated, lost, orphaned or owed, and every
kind of fault must really have fired: a soak whose faults never hit proves nothing.
"""

import pytest

from calsync.sandbox.kernel.tls import make_tls_material
from devtools.soak.report import FAILING, soak_one, table

# what the short mode must have thrown at the engine, each at least once
FAULT_KINDS = ("429", "5xx", "timeout", "apply_then_fail", "410", "webhook_lost", "webhook_duplicated",
               "webhook_reordered", "revoked_consent", "needs_reauth")
OPERATION_KINDS = ("job_edit", "calendar_edit", "reassign", "cancel_job", "delete_job", "calendar_delete", "push",
                   "webhooks", "safety_net_pull", "reconnect", "calendar_edit_job_field")


@pytest.fixture(scope="module")
def soak_tls(tmp_path_factory):
    return make_tls_material(str(tmp_path_factory.mktemp("soak-tls")))


@pytest.mark.parametrize("provider", ["google", "microsoft"])
def test_short_soak_converges_with_every_fault_firing(provider, soak_tls):
    result = soak_one(provider, seed=1, jobs=30, ops=300, tls=soak_tls)
    print(table([result]))
    assert {k: result["counts"][k] for k in FAILING} == dict.fromkeys(FAILING, 0), result["problems"][:20]
    faults = result["fault_counts"]
    assert [k for k in FAULT_KINDS if not faults.get(k)] == [], faults
    assert faults.get("worker_killed_after", 0) + faults.get("worker_killed_before", 0) > 0, faults
    assert [k for k in OPERATION_KINDS if not result["op_counts"].get(k)] == [], result["op_counts"]
    assert result["converge_rounds"] <= 12
