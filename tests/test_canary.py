"""`verify --canary` (ops/canary.py) end to end against the fakes of tests/canary_fakes.py.

Every run goes through `run_canary`, which asserts that no secret reaches stdout or stderr, and
runs on a FakeClock: throttling and polling take no real time.
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from canary_fakes import (
    ALICE_ID,
    ALICE_MAIL,
    ALICE_UPN,
    BOB_ID,
    BOB_UPN,
    GROUP_RULE_ID,
    USER_RULE_ID,
    CanaryTenant,
    person,
    user_rule,
)
from test_verify import ROOT, Result, run_verify
from verify_fakes import (
    ADMINS_GROUP_ID,
    CLOUDFLARE_TOKEN,
    GRAPH,
    GRAPH_TOKEN,
    JOB_ID,
    SCIM_SECRET,
    SCIM_SP_ID,
    USERS_GROUP_ID,
    FakeTenant,
    stack_outputs,
)

from ops import permissions
from ops.canary import UndocumentedAnswerError, parse_provision_on_demand, user_rule_id
from ops.credentials import endpoints_from_env
from ops.redaction import MESSAGE_LIMIT
from ops.verify import Runtime, main

CANARY_CHECKS = [
    "canary.user",
    "canary.provisioning-scope",
    "canary.sign-in-assignment",
    "canary.provision-on-demand",
    "canary.arrival",
    "canary.email",
]
PROVISION_PATH = f"/v1.0/servicePrincipals/{SCIM_SP_ID}/synchronization/jobs/{JOB_ID}/provisionOnDemand"


def run_canary(
    tmp_path: Path,
    *args: str,
    tenant: CanaryTenant | None = None,
    edit_stack: Callable[[str], str] = lambda text: text,
    json_output: bool = True,
) -> Result:
    """verify on a FakeClock (the tenant's): throttling and polling take no real time."""
    tenant = tenant or CanaryTenant()
    result = run_verify(
        tmp_path, *args, tenant=tenant, sleep=tenant.clock.sleep, edit_stack=edit_stack, json_output=json_output
    )
    result.sleeps = tenant.clock.sleeps
    return result


def provision_requests(tenant: FakeTenant) -> list[httpx.Request]:
    return [r for r in tenant.requests if r.url.path.endswith("/provisionOnDemand")]


# --- a person who flows end to end ----------------------------------------------------------------


def test_a_person_in_scope_is_provisioned_and_arrives_with_the_email_access_sees(tmp_path: Path) -> None:
    result = run_canary(tmp_path, "--canary", ALICE_UPN)
    assert result.code == 0, result.stdout
    checks = result.checks()
    assert list(checks)[-6:] == CANARY_CHECKS
    assert {checks[c]["status"] for c in CANARY_CHECKS} == {"holds"}
    assert result.reason("canary.provisioning-scope") == (
        f"assigned to the SCIM app through group Cloudflare Users ({USERS_GROUP_ID})"
    )
    assert result.reason("canary.provision-on-demand") == (
        "Success; steps: EntryImport (Import) Success; EntrySynchronizationScoping (Scoping) Success; "
        "EntryExportAdd (Export) Success"
    )
    assert result.reason("canary.email") == (
        f"Cloudflare holds {ALICE_MAIL}, which Access takes from the 'email' claim, the user's mail"
    )
    # The rule ID comes from the job's schema, and the subject is the person, as Graph documents.
    (request,) = provision_requests(result.tenant)
    assert json.loads(request.content) == {
        "parameters": [{"ruleId": USER_RULE_ID, "subjects": [{"objectId": ALICE_ID, "objectTypeName": "User"}]}]
    }
    canary = json.loads(result.stdout)["canary"]
    assert canary["user"] == {"id": ALICE_ID, "userPrincipalName": ALICE_UPN, "mail": ALICE_MAIL}
    assert canary["ruleId"] == USER_RULE_ID
    assert [step["name"] for step in canary["provisioning"]["steps"]] == [
        "EntryImport",
        "EntrySynchronizationScoping",
        "EntryExportAdd",
    ]
    assert canary["cloudflare"] == {"id": f"cf-{ALICE_ID}", "active": True, "email": ALICE_MAIL}
    assert canary["expectedEmail"] == ALICE_MAIL
    assert "canary: step 3/3 EntryExportAdd (Export): Success" in result.stderr


def test_the_text_report_carries_the_canary_checks(tmp_path: Path) -> None:
    without = run_canary(tmp_path, json_output=False).stdout.strip().splitlines()
    result = run_canary(tmp_path, "--canary", ALICE_UPN, json_output=False)
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(without) + 6
    assert lines[-1].endswith("(all checks hold)")
    assert any(line.split()[:4] == ["holds", "Canary", "email", "matches"] for line in lines)
    assert not any(line.startswith("canary:") for line in lines)  # progress goes to stderr


def test_without_canary_nobody_is_provisioned_or_looked_up(tmp_path: Path) -> None:
    result = run_canary(tmp_path)
    assert result.code == 0
    assert provision_requests(result.tenant) == []
    graph_paths = [r.url.path for r in result.tenant.requests if r.url.host == "graph.microsoft.com"]
    assert not any(path.startswith("/v1.0/users") or path.endswith("/schema") for path in graph_paths)
    assert not any("username=" in str(r.url) or "cf_resource_id=" in str(r.url) for r in result.tenant.requests)
    assert "canary" not in json.loads(result.stdout)


@pytest.mark.parametrize("subject", [ALICE_ID, ALICE_MAIL, ALICE_UPN.upper()])
def test_the_person_may_be_named_by_object_id_mail_or_upn(tmp_path: Path, subject: str) -> None:
    result = run_canary(tmp_path, "--canary", subject)
    assert result.status("canary.user") == "holds"
    assert result.reason("canary.user") == f"{ALICE_UPN} (object ID {ALICE_ID}, mail {ALICE_MAIL})"
    assert result.code == 0


def test_a_guest_upn_with_a_hash_is_sent_as_one_path_segment(tmp_path: Path) -> None:
    guest_id = "9e570000-0000-4000-8000-000000009e57"
    guest_upn = "carol_example.org#EXT#@acme-test.example"
    tenant = CanaryTenant()
    tenant.people[guest_id] = person(guest_id, guest_upn, "carol@example.org")
    tenant.scim_assignments.append(guest_id)
    result = run_canary(tmp_path, "--canary", guest_upn, tenant=tenant)
    assert result.status("canary.user") == "holds"
    looked_up = [r.url.raw_path.decode() for r in tenant.requests if r.url.path.startswith("/v1.0/users/")]
    assert "/v1.0/users/carol_example.org%23EXT%23@acme-test.example?%24select=" in looked_up[0]


# --- who cannot be checked: exit 2 ----------------------------------------------------------------


def test_an_unknown_person_exits_2_naming_them(tmp_path: Path) -> None:
    result = run_canary(tmp_path, "--canary", "nobody@acme-test.example")
    assert result.code == 2
    assert json.loads(result.stdout)["problems"] == [
        "--canary nobody@acme-test.example: no user with this userPrincipalName or mail in the tenant"
    ]
    assert provision_requests(result.tenant) == []
    # Graph's 404 came first, then the documented mail filter.
    assert result.tenant.count("user") == 1 and result.tenant.count("users_by_mail") == 1


def test_an_unknown_object_id_exits_2(tmp_path: Path) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    result = run_canary(tmp_path, "--canary", missing, json_output=False)
    assert result.code == 2
    assert f"--canary {missing}: no user with this object ID in the tenant" in result.stderr


def test_a_mail_two_people_share_exits_2_naming_both(tmp_path: Path) -> None:
    tenant = CanaryTenant()
    tenant.people[BOB_ID]["mail"] = ALICE_MAIL
    result = run_canary(tmp_path, "--canary", ALICE_MAIL, tenant=tenant)
    assert result.code == 2
    assert f"2 users have this mail ({ALICE_UPN}, {BOB_UPN})" in json.loads(result.stdout)["problems"][0]


def test_a_canary_that_is_not_a_user_is_refused_before_any_call(capsys: Any) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--stack", "dev", "--canary", "alice"], Runtime(environ={}))
    assert exit_info.value.code == 2
    assert "argument --canary: 'alice' is not a user: expected a userPrincipalName or mail address" in (
        capsys.readouterr().err
    )


def scope_all(stack_text: str) -> str:
    """The test stack file with `scim.scope: all` (every user in provisioning scope)."""
    return stack_text.replace("    enabled: true\n", "    enabled: true\n    scope: all\n")


def test_a_stack_without_scim_has_no_canary(tmp_path: Path) -> None:
    no_scim = run_canary(
        tmp_path,
        "--canary",
        ALICE_UPN,
        json_output=False,
        edit_stack=lambda text: text.replace("    enabled: true\n", "    enabled: false\n"),
    )
    assert no_scim.code == 2
    assert "--canary needs SCIM provisioning: stack dev has scim.enabled: false" in no_scim.stderr
    assert no_scim.tenant.requests == []


def test_a_stack_deployed_without_its_provisioning_outputs_exits_2(tmp_path: Path) -> None:
    outputs = stack_outputs()
    del outputs["scimProvisioningJobId"], outputs["scimServicePrincipalObjectId"]
    result = run_verify(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(), outputs=outputs)
    assert result.code == 2
    assert json.loads(result.stdout)["problems"] == [
        "the stack has no output scimProvisioningJobId: redeploy with 'make up'",
        "the stack has no output scimServicePrincipalObjectId: redeploy with 'make up'",
    ]
    assert provision_requests(result.tenant) == []


# --- both assignments -----------------------------------------------------------------------------


def test_a_person_in_no_assigned_group_is_out_of_scope_and_entra_skips_them(tmp_path: Path) -> None:
    result = run_canary(tmp_path, "--canary", BOB_UPN)
    assert result.code == 1
    assert result.reason("canary.provisioning-scope").startswith(
        "not assigned to the SCIM app, directly or through a group they are a direct member of"
    )
    assert result.reason("canary.sign-in-assignment").startswith("not assigned to the login app")
    assert result.reason("canary.provision-on-demand").startswith(
        "skipped at step EntrySynchronizationScoping (Scoping): Determine if User in scope"
    )
    assert "reason: The user is not assigned to the app." in result.reason("canary.provision-on-demand")
    skipped = "skipped: 'Canary provisioned on demand' failed"
    assert (result.status("canary.arrival"), result.reason("canary.arrival")) == ("skipped", skipped)
    assert result.reason("canary.email") == skipped


def test_a_person_provisioned_but_not_allowed_to_sign_in_is_named(tmp_path: Path) -> None:
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(login_assignments=[ADMINS_GROUP_ID]))
    assert result.status("canary.provisioning-scope") == "holds"
    assert result.status("canary.sign-in-assignment") == "fails"
    assert "Entra refuses their sign-in (AADSTS50105)" in result.reason("canary.sign-in-assignment")
    assert result.code == 1


def test_with_scope_all_everyone_is_in_provisioning_scope(tmp_path: Path) -> None:
    tenant = CanaryTenant(sync_all=True)
    tenant.login_assignments.append(BOB_ID)  # Bob is in no assigned group
    result = run_canary(
        tmp_path,
        "--canary",
        BOB_UPN,
        tenant=tenant,
        edit_stack=scope_all,
    )
    assert result.reason("canary.provisioning-scope") == (
        "scim.scope is all: Entra provisions every user, assigned or not"
    )
    assert result.status("canary.provision-on-demand") == "holds"
    assert result.code == 0, result.stdout


def test_without_required_assignment_anyone_may_sign_in(tmp_path: Path) -> None:
    tenant = CanaryTenant(assignment_required=False, login_assignments=[])
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=tenant)
    assert result.reason("canary.sign-in-assignment") == (
        "the login app does not require assignment: anyone in the tenant may sign in"
    )


def test_a_direct_assignment_counts_and_memberships_are_read_across_pages(tmp_path: Path) -> None:
    tenant = CanaryTenant()
    tenant.scim_assignments.append(BOB_ID)
    tenant.login_assignments.append(BOB_ID)
    result = run_canary(tmp_path, "--canary", BOB_UPN, tenant=tenant)
    assert result.reason("canary.provisioning-scope") == "assigned to the SCIM app directly"
    assert result.reason("canary.sign-in-assignment") == "assigned to the login app directly"
    assert result.code == 0
    alice = run_canary(tmp_path, "--canary", ALICE_UPN)
    assert alice.tenant.count("member_of") == 2  # page size 1, two groups


# --- provision on demand --------------------------------------------------------------------------


def test_a_failed_export_names_the_failing_step_and_its_reason(tmp_path: Path) -> None:
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(export_fails=True))
    assert result.code == 1
    assert result.reason("canary.provision-on-demand").startswith(
        "failed at step EntryExportAdd (Export): Failed to create User 'alice@acme-test.example' in customappsso: "
        "HTTP 401 from the SCIM endpoint: the bearer token was rejected; "
        "reason: HTTP 401 from the SCIM endpoint: the bearer token was rejected"
    )
    assert result.tenant.count("arrival") == 0


def test_a_token_a_service_echoes_in_a_step_is_scrubbed_everywhere(tmp_path: Path) -> None:
    echoed = f"HTTP 401: 'Bearer {CLOUDFLARE_TOKEN}' rejected, Graph sent 'Bearer {GRAPH_TOKEN}'"
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(export_fails=True, export_failure=echoed))
    # run_verify asserts neither token reaches stdout or stderr; the step is still reported.
    assert "HTTP 401: 'Bearer ***' rejected, Graph sent 'Bearer ***'" in result.reason("canary.provision-on-demand")
    assert "canary: step 3/3 EntryExportAdd (Export): Failure: Failed to create User" in result.stderr
    assert "Bearer ***" in result.stderr


def test_the_rule_id_is_read_from_the_schema(tmp_path: Path) -> None:
    other_rule = "7a1b2c3d-0000-4000-8000-00000000a1e5#V2"
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(schema_rules=[user_rule(other_rule)]))
    (request,) = provision_requests(result.tenant)
    assert json.loads(request.content)["parameters"][0]["ruleId"] == other_rule
    assert result.code == 0


def test_a_schema_without_one_user_rule_is_not_guessed_at(tmp_path: Path) -> None:
    none = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(schema_rules=[]))
    assert none.reason("canary.provision-on-demand") == (
        "not attempted: the job's schema has no rule with an enabled mapping of Entra users (sourceObjectName User)"
    )
    two = run_canary(
        tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(schema_rules=[user_rule(), user_rule(GROUP_RULE_ID)])
    )
    assert "has 2 rules that map Entra users" in two.reason("canary.provision-on-demand")
    assert provision_requests(none.tenant) == provision_requests(two.tenant) == []


def test_a_sixth_call_within_ten_seconds_waits_for_retry_after(tmp_path: Path) -> None:
    tenant = CanaryTenant()
    tenant.provision_calls = [tenant.clock.now - 4.0] * 5  # five other calls 4 s ago
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=tenant)
    assert result.code == 0, result.stdout
    assert result.sleeps == [6.0]  # the window's remainder, from Retry-After
    assert tenant.count("provision_on_demand") == 2


def test_without_synchronization_readwrite_the_permission_is_named(tmp_path: Path) -> None:
    tenant = CanaryTenant()
    tenant.graph_permissions.discard("Synchronization.ReadWrite.All")
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=tenant)
    assert "it needs the Microsoft Graph permission Synchronization.ReadWrite.All" in result.reason(
        "canary.provision-on-demand"
    )
    assert result.code == 1


def test_without_user_read_the_lookup_fails_and_names_it(tmp_path: Path) -> None:
    tenant = CanaryTenant()
    tenant.graph_permissions.discard("User.Read.All")
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=tenant)
    assert "it needs the Microsoft Graph permission User.Read.All" in result.reason("canary.user")
    # The one cause is reported once; every check that needed the person is skipped, naming it.
    assert [c for c in CANARY_CHECKS if result.status(c) == "fails"] == ["canary.user"]
    assert {result.reason(c) for c in CANARY_CHECKS[1:]} == {"skipped: 'Canary user' failed"}
    assert {result.status(c) for c in CANARY_CHECKS[1:]} == {"skipped"}
    assert provision_requests(tenant) == []
    assert result.code == 1


# --- the arrival ----------------------------------------------------------------------------------


def test_the_view_is_polled_until_the_person_shows_up(tmp_path: Path) -> None:
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(visible_after=12.0))
    assert result.code == 0
    assert result.sleeps == [5.0, 5.0, 5.0]
    assert result.tenant.count("arrival") == 4
    assert f"canary: SCIM resource cf-{ALICE_ID} not in Cloudflare's SCIM view yet; looking again in 5 s" in (
        result.stderr
    )


def test_a_person_who_never_arrives_fails_after_the_bound(tmp_path: Path) -> None:
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(visible_after=1000.0))
    assert result.reason("canary.arrival") == (
        "not in Cloudflare's SCIM users view after 60 s, although Entra reports them sent"
    )
    assert sum(result.sleeps) == 60.0
    assert result.reason("canary.email") == "skipped: 'Canary arrived in Cloudflare' failed"
    assert result.code == 1


def test_a_cloudflare_token_that_cannot_read_the_view_is_named(tmp_path: Path) -> None:
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(cloudflare_can_read=False))
    assert "'Access: Organizations, Identity Providers, and Groups Read'" in result.reason("canary.arrival")
    assert result.reason("canary.arrival").startswith("could not check: Cloudflare refused the call (403)")
    assert result.status("canary.provision-on-demand") == "holds"
    assert result.status("canary.email") == "skipped"


def test_an_email_cloudflare_holds_that_access_does_not_see_fails(tmp_path: Path) -> None:
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(email_source="userPrincipalName"))
    assert result.reason("canary.email").startswith(
        f"Cloudflare holds {ALICE_UPN}, but Access takes {ALICE_MAIL} from the 'email' claim, the user's mail: "
        "this person's SCIM groups would not attach to their Access identity"
    )
    assert result.status("canary.arrival") == "holds"
    assert result.code == 1


def test_email_claim_preferred_username_expects_the_upn(tmp_path: Path) -> None:
    def claim(text: str) -> str:
        return text + "  entra-cloudflare:emailClaimName: preferred_username\n"

    mismatch = run_canary(tmp_path, "--canary", ALICE_UPN, edit_stack=claim)
    assert mismatch.status("canary.email") == "fails"
    assert f"Access takes {ALICE_UPN} from the 'preferred_username' claim" in mismatch.reason("canary.email")
    match = run_canary(
        tmp_path, "--canary", ALICE_UPN, edit_stack=claim, tenant=CanaryTenant(email_source="userPrincipalName")
    )
    assert match.status("canary.email") == "holds"


def test_a_disabled_person_fails_and_arrives_inactive(tmp_path: Path) -> None:
    tenant = CanaryTenant()
    tenant.people[ALICE_ID]["accountEnabled"] = False
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=tenant)
    assert result.reason("canary.user").endswith("is disabled: Entra refuses their sign-in")
    assert result.reason("canary.arrival") == (
        f"SCIM resource cf-{ALICE_ID} arrived inactive: Access treats them as removed"
    )


def test_without_a_target_id_the_person_is_found_by_username_across_pages(tmp_path: Path) -> None:
    tenant = CanaryTenant(max_per_page=1)
    stale = {
        "id": "cf-stale",
        "externalId": "alice",
        "displayName": "Alice",
        "active": False,
        "emails": [{"value": ALICE_MAIL, "type": "work", "primary": True}],
        "schemas": [],
        "userName": ALICE_UPN,
        "visible_from": 0.0,
    }
    tenant.cloudflare_people.append(stale)
    original = tenant._answer

    def without_target(*args: Any, **kwargs: Any) -> dict[str, Any]:
        answer = original(*args, **{**kwargs, "target_id": None})
        return answer

    tenant._answer = without_target  # type: ignore[method-assign]
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=tenant)
    assert result.status("canary.arrival") == "holds", result.reason("canary.arrival")
    assert json.loads(result.stdout)["canary"]["cloudflare"]["id"] == f"cf-{ALICE_ID}"
    assert tenant.count("arrival") == 2  # one record a page: the active one is on page 2
    assert not any("cf_resource_id" in str(r.url) for r in tenant.requests)


def test_without_a_target_id_a_user_name_mapped_from_mail_is_looked_for_by_mail(tmp_path: Path) -> None:
    # The documented remedy where UPNs are not email addresses (`userName: mail`): Cloudflare's
    # SCIM user then carries the mail as userName, and a lookup by UPN would never find them.
    tenant = CanaryTenant(schema_rules=[user_rule(user_name_from="mail")])
    original = tenant._answer

    def without_target(*args: Any, **kwargs: Any) -> dict[str, Any]:
        return original(*args, **{**kwargs, "target_id": None})

    tenant._answer = without_target  # type: ignore[method-assign]
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=tenant)
    assert result.status("canary.arrival") == "holds", result.reason("canary.arrival")
    assert result.sleeps == []
    looked_for = [r.url.params["username"] for r in tenant.requests if "username" in r.url.params]
    assert looked_for == [ALICE_MAIL]


# --- no verdict without an answer: unreachable hosts and deleted objects --------------------------

DNS = httpx.ConnectError("[Errno -2] Name or service not known")
REFUSED = httpx.ConnectError("[Errno 111] Connection refused")
UNTRUSTED = httpx.ConnectError(
    "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate in certificate chain "
    "(_ssl.c:1006)"
)
# What the canary's checks say when they judge the person or their provisioning.
VERDICTS = (
    "not assigned",
    "not provisioned",
    "not in scope",
    "not in Cloudflare",
    "did not send",
    "could not",
    "failed",
)


@pytest.mark.parametrize(
    ("route", "error", "host", "cause", "not_checked"),
    [
        ("user", UNTRUSTED, "graph.microsoft.com", "its TLS certificate is not trusted", CANARY_CHECKS),
        ("member_of", DNS, "graph.microsoft.com", "its name does not resolve (DNS)", CANARY_CHECKS[1:3]),
        ("provision_on_demand", REFUSED, "graph.microsoft.com", "the connection failed", CANARY_CHECKS[3:]),
        ("arrival", DNS, "api.cloudflare.com", "its name does not resolve (DNS)", CANARY_CHECKS[4:]),
        ("arrival", UNTRUSTED, "api.cloudflare.com", "its TLS certificate is not trusted", CANARY_CHECKS[4:]),
    ],
    ids=["graph lookup certificate", "graph memberOf dns", "graph provisionOnDemand refused",
         "cloudflare view dns", "cloudflare view certificate"],
)  # fmt: skip
def test_a_host_the_canary_cannot_reach_is_named_and_no_verdict_is_given(
    tmp_path: Path, route: str, error: Exception, host: str, cause: str, not_checked: list[str]
) -> None:
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(network_errors={route: error}))
    report = json.loads(result.stdout)
    (unreachable,) = report["unreachable"]
    assert unreachable.startswith(f"cannot reach {host}: {cause} (")
    assert result.code == 2, result.stdout
    assert report["summary"]["fails"] == 0
    for check in CANARY_CHECKS:
        reason = result.reason(check)
        if check in not_checked:
            assert (result.status(check), reason) == ("skipped", f"not checked: cannot reach {host}")
        else:
            assert result.status(check) == "holds", reason
        assert not any(verdict in reason for verdict in VERDICTS), reason


@pytest.mark.parametrize(
    ("tenant", "root", "title"),
    [
        (CanaryTenant(job_exists=False), "entra.scim.job", "Provisioning job"),
        (CanaryTenant(idp_exists=False), "cloudflare.login-method", "Cloudflare login method"),
    ],
    ids=["deleted job", "deleted login method"],
)
def test_a_deleted_object_the_canary_needs_is_reported_once_and_the_canary_skipped(
    tmp_path: Path, tenant: CanaryTenant, root: str, title: str
) -> None:
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=tenant)
    assert result.code == 1
    assert result.with_status("fails") == [root]
    because = f"skipped: '{title}' failed (the object does not exist)"
    assert {check: result.reason(check) for check in CANARY_CHECKS[3:]} == dict.fromkeys(CANARY_CHECKS[3:], because)
    assert {result.status(check) for check in CANARY_CHECKS[:3]} == {"holds"}


def test_a_deleted_login_app_skips_the_canarys_sign_in_check_under_its_own(tmp_path: Path) -> None:
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(app_exists=False))
    assert (
        result.reason("canary.sign-in-assignment")
        == "skipped: 'Assignment required' failed (the object does not exist)"
    )
    assert "canary.sign-in-assignment" not in result.with_status("fails")


# --- scrubbed first, then shortened ---------------------------------------------------------------

JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsImF1ZCI6ImNmIn0.c2lnbmF0dXJlLWJ5dGVz"


@pytest.mark.parametrize("secret", [SCIM_SECRET, JWT], ids=["the stack's SCIM secret", "a token Entra issued"])
def test_a_secret_across_the_cut_of_a_long_step_text_leaves_no_piece(tmp_path: Path, secret: str) -> None:
    description = f"Failed to create User '{ALICE_UPN}' in customappsso: "
    # The secret begins 12 characters before the cut: shortened first, those 12 would be printed
    # (a piece matches neither the secret's value nor a token's shape, so scrubbing would miss it).
    filler = ("the SCIM endpoint answered " * 20)[: MESSAGE_LIMIT - 3 - 12 - len(description)]
    echoed = f"{filler}{secret} and more text after it"
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(export_fails=True, export_failure=echoed))
    assert secret[:10] not in result.stdout + result.stderr
    reason = result.reason("canary.provision-on-demand")
    # Scrubbed, the text is still too long: it is shortened after the secret became ***.
    shortened = f"{description}{filler}*** and more..."
    assert reason.startswith(f"failed at step EntryExportAdd (Export): {shortened}; reason: ")
    assert json.loads(result.stdout)["canary"]["provisioning"]["steps"][2]["description"] == shortened
    assert f"canary: step 3/3 EntryExportAdd (Export): Failure: {shortened}" in result.stderr


def test_a_long_step_text_is_shortened(tmp_path: Path) -> None:
    echoed = "word " * 200
    result = run_canary(tmp_path, "--canary", ALICE_UPN, tenant=CanaryTenant(export_fails=True, export_failure=echoed))
    step = json.loads(result.stdout)["canary"]["provisioning"]["steps"][2]["description"]
    assert len(step) == MESSAGE_LIMIT and step.endswith("...")


# --- the documented answer and the fakes' refusals ------------------------------------------------


def test_microsofts_documented_answer_parses() -> None:
    # Graph synchronizationJob: provisionOnDemand, example 1 (shortened).
    steps = [
        {"name": "EntryImport", "type": "Import", "status": "Success", "description": "Retrieved User", "details": {}},
        {"name": "EntrySynchronizationSkip", "type": "Export", "status": "Skipped",
         "description": "The state of the user in both the source and target systems already match.",
         "details": {"SkipReason": "RedundantExport"}},
    ]  # fmt: skip
    answer = {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.stringKeyStringValuePair",
        "key": json.dumps({"result": "Skipped", "details": {"errorCode": "RedundantExport", "errorMessage": "match"}}),
        "value": json.dumps(
            {
                "provisioningSteps": steps,
                "statusInfo": {"status": "Skipped", "errorCode": None, "reason": None},
                "targetIdentity": {"id": "52507a19-96ec-4e73-9250-3e65ffd2d926"},
            }
        ),
    }
    outcome = parse_provision_on_demand(answer)
    assert (outcome.result, outcome.error_code, outcome.target_id) == (
        "Skipped",
        "RedundantExport",
        "52507a19-96ec-4e73-9250-3e65ffd2d926",
    )
    assert [step.name for step in outcome.steps] == ["EntryImport", "EntrySynchronizationSkip"]
    assert parse_provision_on_demand({"key": '{"result":"Success","details":{}}', "value": "{}"}).steps == ()


@pytest.mark.parametrize(
    "answer",
    [
        [],
        {"key": {"result": "Success"}, "value": "{}"},
        {"key": '{"result":"Success"}', "value": "not json"},
        {"key": '{"result":"Success"}', "value": "[1]"},
        {"key": '{"result":"Success"}'},
    ],
)
def test_an_undocumented_answer_is_refused(answer: Any) -> None:
    with pytest.raises(UndocumentedAnswerError):
        parse_provision_on_demand(answer)


def test_the_user_rule_is_the_one_mapping_source_users() -> None:
    group_only = {"id": GROUP_RULE_ID, "objectMappings": [{"sourceObjectName": "Group", "enabled": True}]}
    disabled = {"id": "off", "objectMappings": [{"sourceObjectName": "User", "enabled": False}]}
    assert user_rule_id({"synchronizationRules": [group_only, disabled, user_rule()]}) == (USER_RULE_ID, "")
    # One rule is one candidate, however many User mappings it holds.
    twice = user_rule()
    twice["objectMappings"] = [twice["objectMappings"][0]] * 2
    assert user_rule_id({"synchronizationRules": [twice]}) == (USER_RULE_ID, "")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "The 'parameters' collection is required."),
        ({"parameters": [{"subjects": [{"objectId": ALICE_ID, "objectTypeName": "User"}]}]}, "'ruleId'"),
        ({"parameters": [{"ruleId": USER_RULE_ID}]}, "The 'subjects' collection is required."),
        (
            {"parameters": [{"ruleId": USER_RULE_ID, "subjects": [{"objectId": ALICE_ID, "objectTypeName": "user"}]}]},
            "The object type 'user' is not valid",
        ),
        (
            {"parameters": [{"ruleId": "unknown", "subjects": [{"objectId": ALICE_ID, "objectTypeName": "User"}]}]},
            "The synchronization rule 'unknown' is not defined",
        ),
    ],
)
def test_the_fake_refuses_bodies_graph_refuses(body: dict[str, Any], message: str) -> None:
    tenant = CanaryTenant()

    async def post() -> httpx.Response:
        async with endpoints_from_env({}).http_client() as http:
            return await http.post(
                f"{GRAPH}/servicePrincipals/{SCIM_SP_ID}/synchronization/jobs/{JOB_ID}/provisionOnDemand",
                json=body,
                headers={"Authorization": f"Bearer {GRAPH_TOKEN}"},
            )

    with respx.mock(assert_all_called=False) as router:
        tenant.install(router)
        response = asyncio.run(post())
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BadRequest"
    assert message in response.json()["error"]["message"]


def test_docs_name_the_canary_and_every_permission_it_asks_for() -> None:
    docs = " ".join((ROOT / "docs" / "verify.md").read_text().split())
    for permission in permissions.CANARY:
        assert permission.name in docs
    assert 'make verify STACK=<stack> ARGS="--canary <user>"' in docs
    assert PROVISION_PATH.rsplit("/", 1)[-1] in docs


def test_the_canary_lists_exactly_the_permissions_its_calls_need() -> None:
    source = (ROOT / "ops" / "canary.py").read_text()
    used = {getattr(permissions, name) for name in re.findall(r"permissions\.([A-Z_]+)\b", source)}
    # What it reads through verify's shared calls: the assignments (Application.Read.All) and the
    # job's schema (Synchronization.Read.All).
    shared = {permissions.APPLICATION_READ, permissions.SYNCHRONIZATION_READ}
    assert used | shared == set(permissions.CANARY)


def test_help_names_the_canary(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--canary USER" in capsys.readouterr().out


def test_a_failed_membership_read_nobody_needs_is_retrieved(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    # Scope all and no required assignment: neither assignment check reads the memberships, so a
    # failure of that read must still be retrieved, not reported by asyncio at shutdown.
    tenant = CanaryTenant(sync_all=True, assignment_required=False, network_errors={"member_of": DNS})
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        result = run_canary(
            tmp_path,
            "--canary",
            ALICE_UPN,
            tenant=tenant,
            edit_stack=scope_all,
        )
        gc.collect()
    assert result.status("canary.provisioning-scope") == "holds"
    assert [record.getMessage() for record in caplog.records if record.name == "asyncio"] == []
