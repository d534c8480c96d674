"""Adoption and the SCIM secret under the mock runtime: the `adopt` block becomes `import_`, and
Entra only ever receives a usable SCIM secret, as a secret."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from harness import (
    ACCOUNT_ID,
    PROJECT,
    EngineLikeMocks,
    RecordingMonitor,
    Secret,
    is_secret_at,
    minimal_config,
    mock_runtime,
    reveal,
    run_program,
)

from components.identity_provider import usable_scim_secret

APP = "11111111-2222-4333-8444-555555555555"
SP = "66666666-7777-4888-9999-aaaaaaaaaaaa"
ADOPT = {
    "login-app": f"/applications/{APP}",
    "login-service-principal": SP,
    "login-consent-grant": "/oauth2PermissionGrants/AbC-_123",
    "login-assignment-engineering": f"/servicePrincipals/{SP}/appRoleAssignedTo/XyZ_9-",
    "identity-provider-login-method": f"accounts/{ACCOUNT_ID}/{APP}",
    "scim-app": f"/applicationTemplates/8adf8e6e-67b2-4cf2-a259-e3dc5476c621/instantiate/{APP}/{SP}",
    "scim-job": f"/servicePrincipals/{SP}/synchronization/jobs/scim.0123abcd",
    "scim-assignment-engineering": f"/servicePrincipals/{SP}/appRoleAssignedTo/Q1",
    "access-groups-admins": f"accounts/{ACCOUNT_ID}/{SP}",
}


class CloudflareReturns(EngineLikeMocks):
    """The login method's SCIM secret as Cloudflare returns it after an import or an update."""

    def __init__(self, secret: Any, wrap: bool = True) -> None:
        super().__init__()
        self.secret, self.wrap = secret, wrap

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, state = super().new_resource(args)
        if args.typ.endswith("ZeroTrustAccessIdentityProvider") and "scimConfig" in state:
            state["scimConfig"] = {**state["scimConfig"], "secret": self.secret}
            if self.secret is None:
                del state["scimConfig"]["secret"]
        return resource_id, state


def test_every_adopted_resource_gets_its_import_id_and_nothing_else_does() -> None:
    run = run_program(minimal_config(adopt=ADOPT, accessGroups={"Admins": "Engineering"}))
    imported = {r.name: r.import_id for r in run.registrations if r.import_id}
    assert imported == ADOPT
    assert run.named("login-client-secret").import_id == ""
    assert run.named("scim-secret").import_id == ""


def test_without_an_adopt_block_nothing_is_imported() -> None:
    run = run_program(minimal_config())
    assert [r.name for r in run.registrations if r.import_id] == []


@pytest.mark.parametrize("returned", ["**********", "", None])
def test_a_redacted_or_missing_scim_secret_stops_before_entra_is_written(returned: Any) -> None:
    mocks = CloudflareReturns(returned)
    monitor = RecordingMonitor(mocks)
    with pytest.raises(Exception, match="nothing was written to Entra"):
        run_program(minimal_config(), mocks=mocks, monitor=monitor)
    assert [r.name for r in monitor.registrations.values() if r.type.endswith("SynchronizationSecret")] == []


def test_scim_secret_config_wins_over_the_state_and_reaches_entra_only_as_a_secret() -> None:
    run = run_program(minimal_config(scimSecret=Secret("regenerated-token")), mocks=CloudflareReturns("*****"))
    secret = run.one("SynchronizationSecret")
    token = next(c for c in reveal(secret.inputs["credentials"]) if c["key"] == "SecretToken")
    assert token["value"] == "regenerated-token"
    index = [c["key"] for c in reveal(secret.inputs["credentials"])].index("SecretToken")
    assert is_secret_at(secret.inputs["credentials"], index, "value")
    assert "regenerated-token" not in repr(reveal(run.exports))


def test_scim_secret_config_wins_even_over_a_usable_state_value() -> None:
    run = run_program(minimal_config(scimSecret=Secret("regenerated-token")))
    credentials = reveal(run.one("SynchronizationSecret").inputs["credentials"])
    assert {"key": "SecretToken", "value": "regenerated-token"} in credentials


def test_scim_secret_is_a_secret_in_entra_even_if_the_provider_returned_it_plain() -> None:
    run = run_program(minimal_config(), mocks=CloudflareReturns("plain-scim-secret", wrap=False))
    secret = run.one("SynchronizationSecret")
    index = [c["key"] for c in reveal(secret.inputs["credentials"])].index("SecretToken")
    assert is_secret_at(secret.inputs["credentials"], index, "value")


@pytest.mark.parametrize("value", ["tok-en_123", "abc*def"])
def test_usable_scim_secret_accepts_real_tokens(value: str) -> None:
    assert usable_scim_secret(value) == value


@pytest.mark.parametrize("value", [None, "", "   ", "***", "abc****"])
def test_usable_scim_secret_refuses_empty_and_redacted_values_without_echoing_them(value: str | None) -> None:
    with pytest.raises(ValueError) as caught:
        usable_scim_secret(value)
    assert "Regenerate Secret" in str(caught.value)
    if value and value.strip():
        assert value not in str(caught.value)


def test_the_harness_refuses_a_duplicate_urn_like_the_engine() -> None:
    mocks = EngineLikeMocks()
    monitor = RecordingMonitor(mocks)

    @pulumi.runtime.test
    def declare_twice() -> pulumi.Output[str]:
        pulumi.CustomResource("test:index:Thing", "same", {})
        return pulumi.CustomResource("test:index:Thing", "same", {}).urn

    with mock_runtime("s", mocks, monitor), pytest.raises(Exception, match="Duplicate resource URN"):
        declare_twice()
    urn = f"urn:pulumi:s::{PROJECT}::pulumi:pulumi:Stack$test:index:Thing::same"
    assert monitor.errors == [f"Duplicate resource URN '{urn}'; try giving it a unique name"]
