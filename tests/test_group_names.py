"""The group naming rule and slugs (components/group_names.py): plain functions, no Pulumi runtime."""

from __future__ import annotations

import pytest

from components.group_names import GroupNameError, GroupRef, parse_group, slug

GUID = "2f0c5b8e-4a1d-4c3e-9b7a-1d2e3f4a5b6c"


def test_ascii_slugs_are_unchanged_so_existing_logical_names_stay() -> None:
    assert slug("Cloudflare Access Dev Users") == "cloudflare-access-dev-users"
    assert slug("Eng Team") == slug("eng-team") == "eng-team"
    assert slug(GUID) == GUID


@pytest.mark.parametrize(("first", "second"), [("工程部", "财务部"), ("🚀 Team", "🛸 Team"), ("Équipe", "Equipe")])
def test_names_in_any_script_get_distinct_slugs(first: str, second: str) -> None:
    assert slug(first) != slug(second)


def test_non_ascii_slugs_are_stable_readable_where_possible_and_case_blind() -> None:
    assert slug("工程部") == slug("工程部")
    assert slug("Équipe").startswith("equipe-")
    assert slug("工程部").startswith("group-")
    assert slug("ÉQUIPE") == slug("équipe")


def test_parse_group_normalises_an_object_id() -> None:
    assert parse_group("{" + GUID.upper() + "}") == GroupRef(GUID, True)


def test_parse_group_refuses_a_non_hex_guid_shape() -> None:
    with pytest.raises(GroupNameError, match="hexadecimal"):
        parse_group("2f0c5b8e-4a1d-4c3e-9b7a-1d2e3f4a5bxx")
