"""Validation rules of config/settings.py: one test per rule, no Pulumi runtime needed."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest
from harness import ACCOUNT_ID, ROOT

from components.constants import PRODUCTION_SECRET_LIFETIME_DAYS
from components.group_names import GroupRef, parse_group
from config.settings import ENGINE_SECRET, MISSING, UNREAD_VALUE, Problem, Settings, SettingsError, load_settings

GUID = "2f0c5b8e-4a1d-4c3e-9b7a-1d2e3f4a5b6c"


def valid(**overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"cloudflareAccountId": ACCOUNT_ID, "signInGroups": ["Engineering"]}
    config.update(overrides)
    return {key: value for key, value in config.items() if value is not None}


def load(**overrides: Any) -> Settings:
    return load_settings(valid(**overrides), stack="dev")


def problems(**overrides: Any) -> list[Problem]:
    with pytest.raises(SettingsError) as caught:
        load(**overrides)
    return caught.value.problems


def only_problem(**overrides: Any) -> Problem:
    found = problems(**overrides)
    assert len(found) == 1, found
    return found[0]


# --- defaults -------------------------------------------------------------------------------


def test_defaults_are_the_secure_documented_ones() -> None:
    settings = load()
    assert settings.pkce_enabled is True
    assert settings.support_groups is True
    assert settings.conditional_access_enabled is False
    assert settings.assignment_required is True
    assert settings.protect is True
    assert settings.prompt is None and settings.email_claim_name is None
    assert settings.team_name is None
    assert settings.secret_rotation_days == 90 and settings.secret_grace_days == 30
    assert settings.scim.enabled is True
    assert settings.scim.user_deprovision is True
    assert settings.scim.seat_deprovision is False
    assert settings.scim.identity_update_behavior == "reauth"
    assert settings.access_groups == {}


def test_default_names_include_the_stack_so_environments_are_told_apart() -> None:
    settings = load_settings(valid(), stack="prod")
    assert settings.login_app_name == "Cloudflare Access (prod)"
    assert settings.identity_provider_name == "Entra ID (prod)"
    assert settings.scim.app_name == "Cloudflare Access SCIM (prod)"


def test_values_arrive_as_engine_json_text_or_typed_yaml_alike() -> None:
    from_engine = load_settings(
        {"cloudflareAccountId": ACCOUNT_ID, "signInGroups": '["Engineering"]', "pkceEnabled": "false"}, "dev"
    )
    from_yaml = load(pkceEnabled=False)
    assert from_engine == from_yaml


def test_settings_are_immutable() -> None:
    settings = load()
    with pytest.raises(AttributeError):
        settings.protect = True  # type: ignore[misc]


# --- cloudflareAccountId ----------------------------------------------------------------------


def test_account_id_is_required() -> None:
    problem = only_problem(cloudflareAccountId=None)
    assert (problem.key, problem.value) == ("cloudflareAccountId", MISSING)
    # Said to be missing, not "got None".
    assert str(problem) == (
        "cloudflareAccountId: missing; expected 32 lowercase hex characters, as in the dashboard URL; it is required"
    )
    assert "required" in problem.expected


@pytest.mark.parametrize("bad", ["0123456789ABCDEF0123456789ABCDEF", "0123", "0123456789abcdef0123456789abcdeg"])
def test_malformed_account_id_is_rejected(bad: str) -> None:
    problem = only_problem(cloudflareAccountId=bad)
    assert (problem.key, problem.value) == ("cloudflareAccountId", bad)
    assert "32 lowercase hex" in problem.expected


# --- teamName --------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["acme.cloudflareaccess.com", "Acme", "-acme", "acme_team"])
def test_team_name_must_be_the_bare_dns_label(bad: str) -> None:
    problem = only_problem(teamName=bad)
    assert (problem.key, problem.value) == ("teamName", bad)
    assert "bare team name" in problem.expected


def test_team_name_accepted() -> None:
    assert load(teamName="acme-prod").team_name == "acme-prod"


# --- types -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "bad", "expected"),
    [
        ("pkceEnabled", "maybe", "true or false"),
        ("supportGroups", "yes", "true or false"),
        ("conditionalAccessEnabled", 1, "true or false"),
        ("assignmentRequired", "no", "true or false"),
        ("protect", "sometimes", "true or false"),
        ("secretRotationDays", "ninety", "a whole number"),
        ("secretRotationDays", 1.5, "a whole number"),
        ("secretGraceDays", True, "a whole number"),
        ("signInGroups", "Engineering", "a list"),
        ("scim", ["enabled"], "a mapping"),
        ("accessGroups", "Admins", "a mapping"),
        ("loginAppName", 42, "a string"),
    ],
)
def test_wrong_type_names_key_value_and_expectation(key: str, bad: Any, expected: str) -> None:
    found = problems(**{key: bad})
    assert any(p.key == key and p.value == bad and p.expected.startswith(expected) for p in found), found


def test_unknown_key_is_reported_rather_than_ignored() -> None:
    problem = only_problem(pkceEnable=True)
    assert (problem.key, problem.value) == ("pkceEnable", UNREAD_VALUE)
    assert "pkceEnabled" in problem.expected


def test_unknown_scim_key_is_reported() -> None:
    problem = only_problem(scim={"userDeprovisioning": True})
    assert problem.key == "scim.userDeprovisioning"


def test_all_problems_are_reported_together_in_one_error() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"cloudflareAccountId": "nope", "prompt": "always", "pkceEnabled": "maybe"}, "dev")
    keys = [problem.key for problem in caught.value.problems]
    assert keys == ["cloudflareAccountId", "pkceEnabled", "prompt", "signInGroups"]
    message = str(caught.value)
    assert "4 problem(s)" in message
    assert "prompt: got 'always'; expected one of login, select_account, none" in message


# --- prompt / emailClaimName / names -------------------------------------------------------------


@pytest.mark.parametrize("good", ["login", "select_account", "none"])
def test_prompt_accepts_the_three_cloudflare_values(good: str) -> None:
    assert load(prompt=good).prompt == good


def test_unknown_prompt_is_rejected() -> None:
    problem = only_problem(prompt="consent")
    assert (problem.key, problem.value) == ("prompt", "consent")
    assert "login, select_account, none" in problem.expected


def test_email_claim_name_is_validated() -> None:
    assert load(emailClaimName="preferred_username").email_claim_name == "preferred_username"
    problem = only_problem(emailClaimName="e mail")
    assert (problem.key, problem.value) == ("emailClaimName", "e mail")


@pytest.mark.parametrize("key", ["loginAppName", "identityProviderName"])
def test_blank_display_names_are_rejected(key: str) -> None:
    problem = only_problem(**{key: "  "})
    assert (problem.key, problem.value) == (key, "  ")


# --- groups ----------------------------------------------------------------------------------


def test_group_by_object_id_and_by_display_name() -> None:
    settings = load(signInGroups=[GUID.upper(), "Engineering"])
    by_id, by_name = settings.sign_in_groups
    assert by_id.object_id == GUID and by_id.display_name is None
    assert by_name.display_name == "Engineering" and by_name.object_id is None


def test_empty_group_name_is_rejected() -> None:
    problem = only_problem(signInGroups=["Engineering", ""])
    assert (problem.key, problem.value) == ("signInGroups[1]", "")


def test_non_string_group_is_rejected() -> None:
    problem = only_problem(signInGroups=["Engineering", 7])
    assert (problem.key, problem.value) == ("signInGroups[1]", 7)


@pytest.mark.parametrize("bad", ["2f0c5b8e-4a1d-4c3e-9b7a-1d2e3f4a5bZZ", "{zz0c5b8e-4a1d-4c3e-9b7a-1d2e3f4a5b6c}"])
def test_guid_shaped_value_that_is_not_hex_is_rejected(bad: str) -> None:
    problem = only_problem(signInGroups=[bad])
    assert (problem.key, problem.value) == ("signInGroups[0]", bad)
    assert "hexadecimal" in problem.expected


@pytest.mark.parametrize(
    "written",
    [GUID.upper(), "{" + GUID + "}", GUID.replace("-", ""), "{" + GUID.replace("-", "").upper() + "}"],
)
def test_every_spelling_of_an_object_id_is_one_lowercase_dashed_id(written: str) -> None:
    assert load(signInGroups=[written]).sign_in_groups == (GroupRef(GUID, True),)


@pytest.mark.parametrize(
    "name", ["2024-2025", "ad-fe", "CloudflareAccessEngineeringUsers", "{Admins}", "2f0c5b8e-4a1d"]
)
def test_anything_not_guid_shaped_is_a_display_name(name: str) -> None:
    assert load(signInGroups=[name]).sign_in_groups == (GroupRef(name),)


def test_case_variants_of_one_object_id_are_one_group_across_lists() -> None:
    settings = load(signInGroups=[GUID.upper(), GUID], scim={"groups": [GUID]}, accessGroups={"Admins": GUID.upper()})
    assert settings.sign_in_groups == (GroupRef(GUID, True),)
    assert settings.referenced_groups() == (GroupRef(GUID, True),)


def test_assignment_required_with_no_group_is_an_error() -> None:
    problem = only_problem(signInGroups=[], scim={"enabled": False})
    assert problem.key == "signInGroups"
    assert "assignmentRequired" in problem.expected


def test_sign_in_groups_left_out_are_said_to_be_missing() -> None:
    problem = only_problem(signInGroups=None, scim={"enabled": False})
    assert (problem.key, problem.value) == ("signInGroups", MISSING)
    assert str(problem).startswith("signInGroups: missing; expected at least one group")


def test_no_groups_allowed_when_assignment_is_not_required() -> None:
    settings = load(signInGroups=[], assignmentRequired=False, scim={"enabled": False})
    assert settings.sign_in_groups == ()


def test_duplicate_groups_collapse_to_one() -> None:
    assert load(signInGroups=["Engineering", "Engineering"]).sign_in_groups == (GroupRef("Engineering"),)


def test_group_names_that_collide_in_resource_names_are_rejected() -> None:
    problem = only_problem(signInGroups=["Eng Team", "eng-team"])
    assert problem.value == "eng-team"
    assert "collide" in problem.expected


# --- SCIM --------------------------------------------------------------------------------------


def test_scim_groups_default_to_the_sign_in_groups() -> None:
    assert load(signInGroups=["A", "B"]).scim.groups == (GroupRef("A"), GroupRef("B"))


def test_scim_groups_can_differ_from_sign_in_groups() -> None:
    assert load(scim={"groups": ["Provisioned"]}).scim.groups == (GroupRef("Provisioned"),)


def test_seat_deprovision_without_user_deprovision_is_rejected() -> None:
    problem = only_problem(scim={"userDeprovision": False, "seatDeprovision": True})
    assert (problem.key, problem.value) == ("scim.seatDeprovision", True)
    assert "userDeprovision" in problem.expected


def test_seat_deprovision_with_user_deprovision_is_accepted() -> None:
    assert load(scim={"userDeprovision": True, "seatDeprovision": True}).scim.seat_deprovision is True


def test_unknown_identity_update_behavior_is_rejected() -> None:
    problem = only_problem(scim={"identityUpdateBehavior": "reauthenticate"})
    assert (problem.key, problem.value) == ("scim.identityUpdateBehavior", "reauthenticate")
    assert "automatic, reauth, no_action" in problem.expected


def test_scim_enabled_with_no_group_to_provision_is_rejected() -> None:
    problem = only_problem(signInGroups=[], assignmentRequired=False)
    assert (problem.key, problem.value) == ("scim.groups", MISSING)
    assert "nothing would reach Cloudflare" in problem.expected


def test_scim_enabled_with_explicitly_empty_groups_is_rejected() -> None:
    problem = only_problem(scim={"groups": []})
    assert (problem.key, problem.value) == ("scim.groups", [])


def test_scim_scope_defaults_to_assigned_with_no_email_and_no_deletion_guard() -> None:
    scim = load().scim
    assert (scim.scope, scim.notification_email, scim.deletion_threshold) == ("assigned", None, None)


def test_unknown_scim_scope_is_rejected() -> None:
    problem = only_problem(scim={"scope": "everyone"})
    assert (problem.key, problem.value) == ("scim.scope", "everyone")
    assert problem.expected == "one of assigned, all"


def test_scope_all_needs_no_group_to_provision() -> None:
    settings = load(signInGroups=[], assignmentRequired=False, scim={"scope": "all"})
    assert settings.scim.scope == "all" and settings.scim.groups == ()
    assert load(scim={"scope": "all", "groups": []}).scim.groups == ()


def test_scope_assigned_with_no_group_names_scope_all_as_a_way_out() -> None:
    problem = only_problem(scim={"scope": "assigned", "groups": []})
    assert problem.key == "scim.groups"
    assert "scim.scope: all" in problem.expected


@pytest.mark.parametrize("bad", ["identity-team", "a@b", "two@example.com, three@example.com", "a b@example.com"])
def test_notification_email_must_be_one_address(bad: str) -> None:
    problem = only_problem(scim={"notificationEmail": bad})
    assert (problem.key, problem.value) == ("scim.notificationEmail", bad)
    assert problem.expected == "one e-mail address, such as identity-team@example.com"


def test_notification_email_is_accepted() -> None:
    assert load(scim={"notificationEmail": "identity-team@example.com"}).scim.notification_email == (
        "identity-team@example.com"
    )


@pytest.mark.parametrize("bad", [0, -5])
def test_deletion_threshold_must_be_positive(bad: int) -> None:
    problem = only_problem(scim={"deletionThreshold": bad})
    assert (problem.key, problem.value) == ("scim.deletionThreshold", bad)
    assert problem.expected == "a whole number of accounts, at least 1"


def test_deletion_threshold_refuses_text_and_fractions() -> None:
    assert only_problem(scim={"deletionThreshold": "ten"}).expected == "a whole number"
    assert only_problem(scim={"deletionThreshold": 2.5}).expected == "a whole number"


def test_deletion_threshold_is_accepted() -> None:
    assert load(scim={"deletionThreshold": 500}).scim.deletion_threshold == 500


def test_same_groups_for_sign_in_and_provisioning_give_no_warning() -> None:
    assert load(signInGroups=["A", "B"]).warnings == ()
    assert load(signInGroups=["A", "B"], scim={"groups": ["B", "A"]}).warnings == ()


def test_provisioning_groups_that_differ_are_warned_about_naming_both_directions() -> None:
    [warning] = load(signInGroups=["A", "B"], scim={"groups": ["B", "C", "D"]}).warnings
    assert warning.startswith(
        "scim.groups differs from signInGroups (in signInGroups but not in scim.groups: A; "
        "in scim.groups but not in signInGroups: C, D). SCIM group membership overwrites"
    )
    [fewer] = load(signInGroups=["A", "B"], scim={"groups": ["A"]}).warnings
    assert "(in signInGroups but not in scim.groups: B)." in fewer


@pytest.mark.parametrize(
    "overrides",
    [
        {"scim": {"groups": ["Other"], "scope": "all"}},
        {"scim": {"groups": ["Other"], "enabled": False}},
        {"signInGroups": [], "assignmentRequired": False, "scim": {"groups": ["Other"]}},
    ],
    ids=["scope-all", "scim-off", "no-sign-in-groups"],
)
def test_no_group_parity_warning_where_nothing_is_compared(overrides: dict[str, Any]) -> None:
    assert load(**overrides).warnings == ()


def test_scim_disabled_needs_no_groups_and_provisions_none() -> None:
    settings = load(scim={"enabled": False, "groups": ["Ignored"]})
    assert settings.scim.enabled is False and settings.scim.groups == ()


def test_scim_malformed_group_is_rejected() -> None:
    problem = only_problem(scim={"groups": ["abcdefgh-ijkl-mnop-qrst-uvwxyzabcdef"]})
    assert (problem.key, problem.value) == ("scim.groups[0]", "abcdefgh-ijkl-mnop-qrst-uvwxyzabcdef")


# --- rotation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["secretRotationDays", "secretGraceDays"])
@pytest.mark.parametrize("bad", [0, -5])
def test_rotation_periods_must_be_positive(key: str, bad: int) -> None:
    problem = only_problem(**{key: bad})
    assert (problem.key, problem.value) == (key, bad)
    assert "at least 1" in problem.expected


def test_rotation_plus_grace_beyond_24_months_is_rejected() -> None:
    problem = only_problem(secretRotationDays=700, secretGraceDays=31, production=False)
    assert (problem.key, problem.value) == ("secretRotationDays + secretGraceDays", 731)
    assert "730" in problem.expected


def test_rotation_plus_grace_of_exactly_24_months_is_accepted_with_a_warning() -> None:
    settings = load(secretRotationDays=700, secretGraceDays=30, production=False)
    assert len(settings.warnings) == 1 and "730 days" in settings.warnings[0]


def test_rotation_within_12_months_has_no_warning() -> None:
    assert load(secretRotationDays=335, secretGraceDays=30, production=False).warnings == ()
    assert load(secretRotationDays=336, secretGraceDays=30, production=False).warnings != ()


def test_a_production_stack_may_not_outlive_the_strict_policys_secret_lifetime() -> None:
    # The policy would refuse the secret each new window makes: refused offline instead.
    problem = only_problem(secretRotationDays=350, secretGraceDays=30)
    assert (problem.key, problem.value) == ("secretRotationDays + secretGraceDays", 380)
    assert problem.expected.startswith(
        "at most 365 days in a production stack (here secretRotationDays 350 + secretGraceDays 30): "
        "the strict policy config (policy/prod-config.json, maxLifetimeDays 365)"
    )
    assert load(secretRotationDays=335, secretGraceDays=30).warnings == ()
    assert only_problem(secretRotationDays=700, secretGraceDays=31).value == 731


def test_the_production_lifetime_limit_is_the_strict_policy_configs() -> None:
    # policy/ cannot import the project: the limit is written twice, and held equal here.
    prod_config = json.loads((ROOT / "policy" / "prod-config.json").read_text())
    assert prod_config["client-secret-end-date"]["maxLifetimeDays"] == PRODUCTION_SECRET_LIFETIME_DAYS == 365


# --- accessGroups ------------------------------------------------------------------------------


def test_access_groups_by_name_and_by_id() -> None:
    settings = load(accessGroups={"Admins": GUID, "Engineers": "Engineering"})
    assert settings.access_groups == {"Admins": GroupRef(GUID, True), "Engineers": GroupRef("Engineering")}


def test_access_group_with_empty_name_is_rejected() -> None:
    problem = only_problem(accessGroups={" ": "Engineering"})
    assert (problem.key, problem.value) == ("accessGroups", " ")


def test_access_group_with_empty_entra_group_is_rejected() -> None:
    problem = only_problem(accessGroups={"Admins": ""})
    assert (problem.key, problem.value) == ("accessGroups.Admins", "")


def test_duplicate_access_group_names_are_rejected() -> None:
    problem = only_problem(accessGroups={"Admins": "A", "admins": "B"})
    assert (problem.key, problem.value) == ("accessGroups.admins", "admins")
    assert "repeats 'Admins'" in problem.expected


def test_access_group_with_malformed_object_id_is_rejected() -> None:
    problem = only_problem(accessGroups={"Admins": "1234abcd-0000-0000-0000-00000000000g"})
    assert (problem.key, problem.value) == ("accessGroups.Admins", "1234abcd-0000-0000-0000-00000000000g")


def test_access_groups_need_group_support() -> None:
    problem = only_problem(accessGroups={"Admins": "Engineering"}, supportGroups=False)
    assert problem.key == "accessGroups"
    assert "supportGroups" in problem.expected


def test_referenced_groups_are_distinct_across_all_lists() -> None:
    settings = load(
        signInGroups=["Engineering", GUID],
        scim={"groups": ["Engineering", "Contractors"]},
        accessGroups={"Admins": GUID, "Eng": "Engineering"},
    )
    assert settings.referenced_groups() == (GroupRef("Engineering"), parse_group(GUID), GroupRef("Contractors"))


# --- types the engine would hide, namespaces, lengths, names -------------------------------------


@pytest.mark.parametrize("key", ["loginAppName", "identityProviderName", "teamName", "prompt", "emailClaimName"])
@pytest.mark.parametrize("bad", [["a", "b"], {"a": "b"}])
def test_string_keys_refuse_lists_and_maps(key: str, bad: Any) -> None:
    problem = only_problem(**{key: bad})
    assert (problem.key, problem.value, problem.expected) == (key, bad, "a string")


def test_scim_app_name_refuses_a_list() -> None:
    problem = only_problem(scim={"appName": ["a"]})
    assert (problem.key, problem.expected) == ("scim.appName", "a string")


def test_key_in_a_misspelt_namespace_is_an_error_naming_the_likely_key() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(valid(), "prod", {"entra-cloudfare:protect": True})
    [problem] = caught.value.problems
    assert (problem.key, problem.value) == ("entra-cloudfare:protect", UNREAD_VALUE)
    assert problem.expected.startswith("did you mean entra-cloudflare:protect?")


def test_provider_and_pulumi_namespaces_are_accepted() -> None:
    others = {"azuread:environment": "public", "cloudflare:apiToken": {"secure": "x"}, "pulumi:tags": {}}
    assert load_settings(valid(), "dev", others).stack == "dev"


def test_misspelt_key_names_the_likely_key() -> None:
    problem = only_problem(protet=True)
    assert problem.key == "protet" and problem.expected.startswith("did you mean protect?")


@pytest.mark.parametrize("key", ["loginAppName", "identityProviderName"])
def test_names_longer_than_the_services_allow_are_rejected(key: str) -> None:
    problem = only_problem(**{key: "x" * 257})
    assert problem.key == key and "at most 256 characters" in problem.expected


def test_names_at_the_limit_are_accepted() -> None:
    assert len(load(loginAppName="x" * 256).login_app_name) == 256


def test_scim_app_name_longer_than_entra_allows_is_rejected() -> None:
    problem = only_problem(scim={"appName": "y" * 300})
    assert problem.key == "scim.appName" and "at most 256" in problem.expected


def test_access_group_name_longer_than_allowed_is_rejected() -> None:
    problem = only_problem(accessGroups={"z" * 257: "Engineering"})
    assert problem.key.startswith("accessGroups.zzz") and "at most 256" in problem.expected


def test_login_app_and_scim_app_must_not_share_a_display_name() -> None:
    problem = only_problem(loginAppName="Cloudflare", scim={"appName": "cloudflare"})
    assert (problem.key, problem.value) == ("scim.appName", "cloudflare")


def test_shared_display_name_is_fine_when_scim_is_off() -> None:
    assert load(loginAppName="Cloudflare", scim={"enabled": False, "appName": "Cloudflare"}).scim.enabled is False


# --- placeholders ------------------------------------------------------------------------------


def test_placeholders_are_refused_naming_each_key() -> None:
    found = problems(
        cloudflareAccountId="<your account>",
        teamName="<team>",
        signInGroups=["Engineering", "<a group>"],
        accessGroups={"Admins": "<admins group>"},
    )
    assert [(p.key, p.value) for p in found] == [
        ("cloudflareAccountId", "<your account>"),
        ("teamName", "<team>"),
        ("signInGroups[1]", "<a group>"),
        ("accessGroups.Admins", "<admins group>"),
    ]
    assert all(p.expected.startswith("your own value in place of the placeholder") for p in found)


def test_placeholders_are_kept_as_written_when_rendering_templates() -> None:
    settings = load_settings(
        valid(cloudflareAccountId="<your account>", signInGroups=["<a group>"]), "dev", allow_placeholders=True
    )
    assert settings.cloudflare_account_id == "<your account>"
    assert settings.sign_in_groups == (GroupRef("<a group>"),)


def test_angle_brackets_inside_a_name_are_not_a_placeholder() -> None:
    assert load(signInGroups=["Team <A>"]).sign_in_groups == (GroupRef("Team <A>"),)


# --- scimSecret ----------------------------------------------------------------------------------


def test_scim_secret_set_as_a_secret_is_accepted() -> None:
    assert load(scimSecret={"secure": "v1:abc"}).scim_secret_set is True
    assert load(scimSecret=ENGINE_SECRET).scim_secret_set is True
    assert load().scim_secret_set is False


def test_scim_secret_in_plain_text_is_refused_without_showing_it() -> None:
    problem = only_problem(scimSecret="the-real-token")
    assert problem.key == "scimSecret"
    assert "the-real-token" not in str(problem)
    assert "pulumi config set --secret scimSecret" in problem.expected


def test_scim_secret_with_scim_off_is_refused() -> None:
    problem = only_problem(scimSecret={"secure": "v1:abc"}, scim={"enabled": False})
    assert problem.key == "scimSecret"


# --- adopt ---------------------------------------------------------------------------------------

APP_OID = "11111111-2222-4333-8444-555555555555"
SP_OID = "66666666-7777-4888-9999-aaaaaaaaaaaa"


def test_adopt_entries_for_declared_resources_are_accepted() -> None:
    adopt = {
        "login-app": f"/applications/{APP_OID}",
        "login-service-principal": SP_OID,
        "login-consent-grant": "/oauth2PermissionGrants/AbC-_123",
        "login-assignment-engineering": f"/servicePrincipals/{SP_OID}/appRoleAssignedTo/XyZ_9-",
        "identity-provider-login-method": f"accounts/{ACCOUNT_ID}/{APP_OID}",
        "scim-app": f"/applicationTemplates/8adf8e6e-67b2-4cf2-a259-e3dc5476c621/instantiate/{APP_OID}/{SP_OID}",
        "scim-job": f"/servicePrincipals/{SP_OID}/synchronization/jobs/scim.0123abcd.x",
        "scim-assignment-engineering": f"/servicePrincipals/{SP_OID}/appRoleAssignedTo/Q1",
        "access-groups-admins": f"accounts/{ACCOUNT_ID}/{SP_OID}",
    }
    assert load(adopt=adopt, accessGroups={"Admins": "Engineering"}).adopt == adopt


def test_adopt_entry_naming_an_undeclared_resource_is_rejected() -> None:
    problem = only_problem(adopt={"login-assignment-finance": f"/servicePrincipals/{SP_OID}/appRoleAssignedTo/Q1"})
    assert problem.key == "adopt.login-assignment-finance"
    assert "login-assignment-engineering" in problem.expected


@pytest.mark.parametrize("name", ["login-client-secret", "scim-secret"])
def test_adopt_entry_for_a_resource_that_cannot_be_imported_is_rejected(name: str) -> None:
    problem = only_problem(adopt={name: "anything"})
    assert problem.key == f"adopt.{name}" and problem.expected.startswith("no entry:")


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("login-app", APP_OID),
        ("identity-provider-login-method", f"accounts/{'f' * 32}/{APP_OID}"),
        ("scim-app", f"/applicationTemplates/{SP_OID}/instantiate/{APP_OID}/{SP_OID}"),
        ("scim-job", f"/servicePrincipals/{SP_OID}/jobs/x"),
    ],
)
def test_malformed_import_id_is_rejected_with_its_form(name: str, bad: str) -> None:
    problem = only_problem(adopt={name: bad})
    assert (problem.key, problem.value) == (f"adopt.{name}", bad)
    assert problem.expected.startswith("an import ID of the form")


def test_scim_resources_cannot_be_adopted_with_scim_off() -> None:
    problem = only_problem(
        scim={"enabled": False}, adopt={"scim-job": f"/servicePrincipals/{SP_OID}/synchronization/jobs/j"}
    )
    assert problem.key == "adopt.scim-job"


# --- hostile values ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("teamName", "acme\n"),
        ("cloudflareAccountId", ACCOUNT_ID + "\n"),
        ("emailClaimName", "email\n"),
    ],
)
def test_a_pattern_must_match_the_whole_value_even_a_trailing_newline(key: str, value: str) -> None:
    problem = only_problem(**{key: value})
    assert problem.key == key and problem.value == value


@pytest.mark.parametrize(
    ("overrides", "key", "character"),
    [
        ({"loginAppName": "Cloudflare\nAccess"}, "loginAppName", "U+000A"),
        ({"loginAppName": "SSO\x00"}, "loginAppName", "U+0000"),
        ({"identityProviderName": "\u202eEntra"}, "identityProviderName", "U+202E"),
        ({"signInGroups": ["Engineering\n## Protection"]}, "signInGroups[0]", "U+000A"),
        ({"signInGroups": ["Admins\u200b"]}, "signInGroups[0]", "U+200B"),
        ({"accessGroups": {"Admins\u200b": "Engineering"}}, "accessGroups.Admins\u200b", "U+200B"),
        ({"scim": {"appName": "SS\u200bO"}}, "scim.appName", "U+200B"),
        ({"scim": {"groups": ["\ufeffEngineering"]}}, "scim.groups[0]", "U+FEFF"),
    ],
)
def test_names_with_control_or_invisible_characters_are_refused_naming_the_character(
    overrides: dict[str, Any], key: str, character: str
) -> None:
    problem = only_problem(**overrides)
    assert problem.key == key
    assert character in problem.expected
    assert "\\u" in str(problem) or "\\x" in str(problem) or "\\n" in str(problem)  # shown escaped, not raw


@pytest.mark.parametrize(
    "name", ["Ingénieurs", "工程师", "👨\u200d👩\u200d👧 Family", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"]
)
def test_names_in_any_script_with_joiners_stay_allowed(name: str) -> None:
    assert load(signInGroups=[name], loginAppName=name).login_app_name == name


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("scim", {1: True, 2.5: "x", None: "y", "enabled": False}, ["scim.1", "scim.2.5", "scim.None"]),
        ("accessGroups", {123: "Engineering", None: "Finance"}, ["accessGroups.123", "accessGroups.None"]),
        ("adopt", {7: "x"}, ["adopt.7"]),
    ],
)
def test_mapping_keys_that_yaml_reads_as_numbers_or_null_are_refused(key: str, value: Any, shown: list[str]) -> None:
    found = problems(**{key: value})
    assert [p.key for p in found] == shown
    assert all("keys written as text" in p.expected for p in found)


def test_a_very_long_value_is_quoted_shortened_with_its_length() -> None:
    problem = only_problem(loginAppName="x" * 200_000)
    assert len(str(problem)) < 400
    assert "200000 characters" in str(problem)


def test_a_key_written_with_a_colon_is_told_to_nest_under_its_object() -> None:
    problem = only_problem(**{"scim:enabled": False})
    assert problem.key == "scim:enabled"
    assert "scim.enabled is written nested, under scim" in problem.expected
    assert "did you mean" not in problem.expected


@pytest.mark.parametrize(
    "value", [{"secure": 12}, {"secure": None}, {"secure": ""}, {"secure": "v1:abc", "extra": [1]}]
)
def test_a_secret_must_be_exactly_what_pulumi_config_set_secret_writes(value: Any) -> None:
    problem = only_problem(scimSecret=value)
    assert problem.key == "scimSecret" and "pulumi config set --secret scimSecret" in problem.expected
    assert problem.value == "<a plain value, not shown>"


@pytest.mark.parametrize("provider_key", ["cloudflare:apiToken", "azuread:clientSecret", "cloudflare:apiKey"])
def test_provider_credentials_in_clear_text_are_refused_without_showing_them(provider_key: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(valid(), "dev", {provider_key: "plain-credential-value"})
    [problem] = caught.value.problems
    assert problem.key == provider_key and "--secret" in problem.expected
    assert "plain-credential-value" not in str(caught.value)
    assert load_settings(valid(), "dev", {provider_key: {"secure": "v1:Y2lwaGVy"}}).stack == "dev"


@pytest.mark.parametrize("value", ["<<object ID>>", "<your group\nname>"])
def test_a_placeholder_is_any_whole_value_in_angle_brackets(value: str) -> None:
    problem = only_problem(signInGroups=[value])
    assert "placeholder" in problem.expected


def test_a_placeholder_access_group_name_is_refused() -> None:
    problem = only_problem(accessGroups={"<your Access group name>": "Engineering"})
    assert problem.key == "accessGroups.<your Access group name>" and "placeholder" in problem.expected


def test_adopt_is_checked_even_when_unrelated_keys_have_problems() -> None:
    found = problems(prompt="x", protect=1, adopt={"nope": "x"})
    assert {p.key for p in found} == {"prompt", "protect", "adopt.nope"}


def test_provider_config_keys_are_the_installed_providers_settings() -> None:
    import importlib.util
    import re
    from pathlib import Path

    from config.settings import PROVIDER_CONFIG_KEYS, PROVIDER_SECRET_KEYS

    for namespace, names in PROVIDER_CONFIG_KEYS.items():
        spec = importlib.util.find_spec(f"pulumi_{namespace}")
        assert spec is not None and spec.origin is not None
        source = (Path(spec.origin).parent / "config" / "vars.py").read_text()
        assert set(names) == set(re.findall(r"__config__\.get\w*\('(\w+)'\)", source))
    assert {key.partition(":")[2] for key in PROVIDER_SECRET_KEYS} <= {
        n for ns in PROVIDER_CONFIG_KEYS.values() for n in ns
    }


@pytest.mark.parametrize(
    ("full_key", "hint"),
    [
        ("cloudflare:protect", "did you mean entra-cloudflare:protect?"),
        ("azuread:tenantID", "did you mean azuread:tenantId?"),
        ("pulumi:signInGroups", "entra-cloudflare:signInGroups"),
    ],
)
def test_keys_no_provider_reads_are_refused_with_a_hint(full_key: str, hint: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(valid(), "dev", {full_key: "x"})
    [problem] = caught.value.problems
    assert problem.key == full_key and hint in problem.expected


def test_provider_settings_and_pulumi_keys_are_accepted() -> None:
    others = {"azuread:tenantId": "x", "azuread:useOidc": True, "cloudflare:baseUrl": "x", "pulumi:tags": {}}
    assert load_settings(valid(), "dev", others).stack == "dev"


@pytest.mark.parametrize("key", ["loginAppName", "identityProviderName"])
def test_names_with_surrounding_spaces_are_refused(key: str) -> None:
    problem = only_problem(**{key: "Same "})
    assert problem.key == key and "no spaces at the start or end" in problem.expected


def test_a_group_display_name_longer_than_entra_allows_is_refused() -> None:
    problem = only_problem(signInGroups=["g" * 257])
    assert problem.key == "signInGroups[0]" and "at most 256 characters" in problem.expected
    assert load(signInGroups=["g" * 256]).sign_in_groups == (GroupRef("g" * 256),)


@pytest.mark.parametrize(
    ("own", "others"),
    [
        ({"apiToken": "TOPSECRET-1"}, {}),
        ({"scim": {"secret": "TOPSECRET-1"}}, {}),
        ({"scimsecret": "TOPSECRET-1"}, {}),
        ({}, {"cloudflare:api_token": "TOPSECRET-1"}),
        ({}, {"azuread:clientsecret": "TOPSECRET-1"}),
        ({}, {"entra-cloudfare:scimSecret": "TOPSECRET-1"}),
        ({}, {"pulumi:signInGroups": "TOPSECRET-1"}),
    ],
)
def test_the_value_of_a_key_nothing_reads_is_never_echoed(own: dict[str, Any], others: dict[str, Any]) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(valid(**own), "dev", others)
    assert "TOPSECRET" not in str(caught.value)
    assert UNREAD_VALUE in str(caught.value)


def test_keys_are_shown_escaped_and_shortened() -> None:
    found = problems(**{"\x1b[2J\x1b[31mALL GOOD\rX": 1, "k" * 5000: 1})
    text = str(SettingsError(found))
    assert "\x1b" not in text and "\r" not in text
    assert "\\x1b[2J" in text
    assert "k" * 200 not in text and "(5000 characters)" in text


def test_a_key_written_with_and_without_the_namespace_is_refused() -> None:
    from config.settings import split_namespaces

    with pytest.raises(SettingsError) as caught:
        split_namespaces({"cloudflareAccountId": ACCOUNT_ID, "entra-cloudflare:cloudflareAccountId": "0" * 32})
    [problem] = caught.value.problems
    assert problem.key == "cloudflareAccountId" and "not both" in problem.expected
    assert ACCOUNT_ID not in str(caught.value)


def test_a_plain_key_set_as_a_secret_says_to_set_it_without_secret() -> None:
    problem = only_problem(cloudflareAccountId={"secure": "v1:Y2lwaGVy"})
    assert problem.key == "cloudflareAccountId" and "without --secret" in problem.expected
    assert "Y2lwaGVy" not in str(problem)


def test_adopt_is_checked_when_only_scim_secret_has_a_problem() -> None:
    found = problems(scimSecret="plain", adopt={"nope": "x"})
    assert {p.key for p in found} == {"scimSecret", "adopt.nope"}


@pytest.mark.parametrize("text", ["9" * 5000, "[" * 5000 + "]" * 5000])
def test_text_that_python_will_not_read_as_json_is_refused_by_type_not_a_traceback(text: str) -> None:
    problem = only_problem(secretRotationDays=text)
    assert problem.key == "secretRotationDays" and problem.expected == "a whole number"


# --- text as Pulumi stores it, names, missing keys (issue 18) ------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "problem_key", "shown"),
    [
        ("signInGroups", ["Engineering "], "signInGroups[0]", "Engineering "),
        ("signInGroups", [" Engineering"], "signInGroups[0]", " Engineering"),
        ("scim", {"groups": ["Engineering "]}, "scim.groups[0]", "Engineering "),
        ("accessGroups", {"Admins": " Engineering"}, "accessGroups.Admins", " Engineering"),
    ],
)
def test_a_group_value_with_spaces_at_either_end_is_refused_not_trimmed(
    key: str, value: Any, problem_key: str, shown: str
) -> None:
    problem = only_problem(**{key: value})
    assert (problem.key, problem.value) == (problem_key, shown)
    assert problem.expected.startswith("no spaces at the start or end")


@pytest.mark.parametrize("name", ["Admins ", " Admins"])
def test_an_access_group_name_with_spaces_at_either_end_is_refused_not_trimmed(name: str) -> None:
    problem = only_problem(accessGroups={name: "Engineering"})
    assert (problem.key, problem.value) == (f"accessGroups.{name}", name)
    assert problem.expected.startswith("no spaces at the start or end")


@pytest.mark.parametrize(("text", "value"), [("true", True), ("True", True), ("false", False), ("False", False)])
def test_a_boolean_as_text_is_read_as_pulumis_get_bool_reads_it(text: str, value: bool) -> None:
    assert load(pkceEnabled=text).pkce_enabled is value
    assert pulumi_get_bool(text) is value


@pytest.mark.parametrize("text", ["TRUE", "FALSE", "yes", "1", " true", "tRUE"])
def test_a_boolean_as_other_text_is_refused_as_pulumis_get_bool_refuses_it(text: str) -> None:
    problem = only_problem(pkceEnabled=text)
    assert (problem.key, problem.value) == ("pkceEnabled", text)
    assert problem.expected == (
        'true or false (as quoted text only "true", "True", "false", "False": what Pulumi\'s Config.get_bool reads)'
    )
    with pytest.raises(pulumi.ConfigTypeError):
        pulumi_get_bool(text)


def pulumi_get_bool(text: str) -> bool | None:
    """What the program's own SDK makes of `text` set for a key."""
    pulumi.runtime.set_all_config({"entra-cloudflare:flag": text}, [])
    return pulumi.Config("entra-cloudflare").get_bool("flag")


def test_a_dotted_key_is_told_to_nest_under_its_object() -> None:
    problem = only_problem(**{"scim.enabled": False})
    assert problem.key == "scim.enabled"
    assert problem.expected.startswith(
        "scim.enabled is written nested, under scim: `scim:` with `enabled:` indented below it "
        "(`pulumi config set --path scim.enabled <value>` writes it so); "
    )
    assert "did you mean" not in problem.expected and "pkceEnabled?" not in problem.expected
