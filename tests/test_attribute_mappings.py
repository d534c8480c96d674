"""`scim.userAttributes`: one test per validation rule (config/settings.py with
components/attribute_mappings.py), and the schema helpers the provider, verify and adopt share.
No Pulumi runtime."""

from __future__ import annotations

import json
from typing import Any

import pytest
from harness import ACCOUNT_ID
from schema_fakes import attribute, default_scim_schema, user_mapping_of, without_user_targets

from components import attribute_mappings
from config.settings import Problem, Settings, SettingsError, load_settings

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CLOUDFLARE_DEFAULTS = {
    'emails[type eq "work"].value': "mail",
    "name.givenName": "givenName",
    "name.familyName": "surname",
}


def load(user_attributes: Any, **scim: Any) -> Settings:
    raw: dict[str, Any] = {"cloudflareAccountId": ACCOUNT_ID, "signInGroups": ["Engineering"], "scim": {**scim}}
    if user_attributes is not None:
        raw["scim"]["userAttributes"] = user_attributes
    return load_settings(raw, stack="dev")


def only_problem(user_attributes: Any, **scim: Any) -> Problem:
    with pytest.raises(SettingsError) as caught:
        load(user_attributes, **scim)
    assert len(caught.value.problems) == 1, caught.value.problems
    return caught.value.problems[0]


# --- what is managed -------------------------------------------------------------------------------


def test_nothing_declared_manages_nothing() -> None:
    assert load(None).scim.user_attributes == {}


def test_declaring_any_mapping_also_manages_cloudflares_three() -> None:
    assert load({"userName": "mail"}).scim.user_attributes == {**CLOUDFLARE_DEFAULTS, "userName": "mail"}


def test_a_declared_recommended_mapping_wins_over_cloudflares() -> None:
    managed = load({"name.givenName": "displayName"}).scim.user_attributes
    assert managed["name.givenName"] == "displayName"


def test_the_work_email_may_only_come_from_mail() -> None:
    problem = only_problem({'emails[type eq "work"].value': "userPrincipalName"})
    assert (problem.key, problem.value) == ('scim.userAttributes.emails[type eq "work"].value', "userPrincipalName")
    assert problem.expected.startswith("mail, or the key left out")


def test_mappings_need_scim_enabled() -> None:
    problem = only_problem({"userName": "mail"}, enabled=False)
    assert (problem.key, problem.expected) == ("scim.userAttributes", "no mappings while scim.enabled is false")


# --- targets: RFC 7643's User -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "userName",
        "active",
        "externalId",
        "name.familyName",
        'emails[type eq "work"].value',
        'phoneNumbers[type eq "mobile"].value',
        'addresses[type eq "work"].postalCode',
        f"{ENTERPRISE}:department",
    ],
)
def test_scim_user_attributes_are_accepted(target: str) -> None:
    assert load({target: "mail"}).scim.user_attributes[target] == "mail"


@pytest.mark.parametrize(
    ("target", "hint"),
    [
        ("username", "did you mean userName?"),
        ('emails[type eq "office"].value', "a SCIM User attribute of RFC 7643"),
        ("name.firstName", "a SCIM User attribute of RFC 7643"),
        (f"{ENTERPRISE}:shoeSize", "a SCIM User attribute of RFC 7643"),
        ("password", "a SCIM User attribute of RFC 7643"),
    ],
)
def test_a_target_outside_rfc_7643s_user_is_refused(target: str, hint: str) -> None:
    problem = only_problem({target: "mail"})
    assert (problem.key, problem.value) == (f"scim.userAttributes.{target}", target)
    assert hint in problem.expected


def test_the_allowed_forms_expand_to_rfc_7643s_canonical_types() -> None:
    emails = [t for t in attribute_mappings.SCIM_USER_TARGETS if t.startswith("emails")]
    assert emails == [f'emails[type eq "{kind}"].value' for kind in ("work", "home", "other")]


# --- sources: name, constant, expression ------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        "mail",
        "extension_0a1b2c3d_costCenter",
        '"Cloudflare"',
        'Join(" ", [givenName], [surname])',
        'Switch([IsSoftDeleted], , "False", "True", "True", "False")',
        'Replace([mail], "\\"", , , "", , )',
    ],
)
def test_well_shaped_sources_are_accepted(source: str) -> None:
    assert load({"displayName": source}).scim.user_attributes["displayName"] == source


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[mail]", "the attribute name without brackets (mail)"),
        ("mail address", "an Entra attribute name (mail)"),
        ('Join(" ", [givenName], [surname]', "balanced parentheses; 1 opened"),
        ('Join(" ", [givenName]))', "text follows its closing parenthesis at position 22"),
        ('Join(" , [givenName])', "whose strings are closed"),
        ('Join(" ", [given Name])', "attribute references written [attributeName]"),
        ('Join(" ", givenName])', "brackets only around attribute names"),
        ("ToLower([mail]) & [surname]", "one function call"),
        ('"Cloud"flare"', "a constant with no unescaped quote inside"),
    ],
)
def test_a_malformed_source_is_refused(source: str, expected: str) -> None:
    problem = only_problem({"displayName": source})
    assert (problem.key, problem.value) == ("scim.userAttributes.displayName", source)
    assert expected in problem.expected


@pytest.mark.parametrize("source", ["", "   ", 7, None])
def test_an_empty_or_non_text_source_is_refused(source: Any) -> None:
    problem = only_problem({"displayName": source})
    assert problem.key == "scim.userAttributes.displayName"
    assert "an Entra source" in problem.expected


def test_a_source_with_an_invisible_character_is_refused() -> None:
    problem = only_problem({"displayName": "ma\u200bil"})
    assert "U+200B" in problem.expected


def test_the_map_itself_must_be_a_mapping() -> None:
    assert only_problem(["userName", "mail"]).key == "scim.userAttributes"


# --- the schema helpers -------------------------------------------------------------------------------


def test_with_sources_changes_only_the_given_targets() -> None:
    schema = default_scim_schema()
    updated = attribute_mappings.with_sources(schema, {"userName": attribute("mail")})
    assert user_mapping_of(updated, "userName")["source"] == attribute("mail")  # type: ignore[index]
    assert without_user_targets(updated, {"userName"}) == without_user_targets(schema, {"userName"})
    assert json.dumps(schema) == json.dumps(default_scim_schema()), "the input schema was changed in place"


def test_the_disabled_user_mapping_is_not_the_one_changed() -> None:
    schema = default_scim_schema()
    updated = attribute_mappings.with_sources(schema, {"displayName": attribute("mail")})
    inbound = updated["synchronizationRules"][1]["objectMappings"][0]["attributeMappings"][0]
    assert inbound["source"] == attribute("displayName")


def test_a_schema_with_two_enabled_user_mappings_is_refused() -> None:
    schema = default_scim_schema()
    schema["synchronizationRules"][1]["objectMappings"][0]["enabled"] = True
    with pytest.raises(attribute_mappings.SchemaShapeError, match="2 enabled object mappings from User"):
        attribute_mappings.user_mappings(schema)


def test_holds_ignores_graphs_spacing_of_an_expression_but_not_of_its_strings() -> None:
    live = {"expression": 'Join(" ",[givenName],[surname])', "name": "Join", "type": "Function"}
    assert attribute_mappings.holds('Join(" ", [givenName], [surname])', live)
    assert not attribute_mappings.holds('Join("", [givenName], [surname])', live)
    assert not attribute_mappings.holds("givenName", live)


def test_a_key_with_dots_written_nested_is_explained() -> None:
    # What `pulumi config set --path scim.userAttributes.name.givenName givenName` writes.
    problem = only_problem({"name": {"givenName": "givenName"}})
    assert problem.key == "scim.userAttributes.name"
    assert "pulumi config set --path` splits keys at dots" in problem.expected
    assert "--path 'scim.userAttributes[\"name.<...>\"]'" in problem.expected
