"""The AWX setup kit (extras/awx) agrees with the collection: one name rule, one token variable, one version."""
from __future__ import annotations

import re

import pytest
import yaml

from ansible_collections.clusterops.groups.plugins.module_utils._connection_options import TOKEN_ENV_VAR
from ansible_collections.clusterops.groups.plugins.module_utils._group_name import (
    GROUP_NAME_MAX_LENGTH, GROUP_NAME_PATTERN, GROUP_NAME_RULE,
)
from awx_job import AWX_KIT, credential_environment, load_credential_type, load_survey, survey_extra_vars
from collection_package import galaxy_version

SURVEY_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}


def _group_question() -> dict:
    questions = [question for question in load_survey()["spec"] if question["variable"] == "group"]
    assert len(questions) == 1
    return questions[0]


def test_survey_is_a_valid_awx_spec() -> None:
    survey = load_survey()
    assert survey["name"] and "description" in survey
    for question in survey["spec"]:
        assert question["type"] in SURVEY_TYPES
        assert question["question_name"] and "question_description" in question


def test_survey_states_the_collection_name_rule() -> None:
    # AWX surveys cannot check a regex: the description shows it, the length bounds are enforced by AWX,
    # and the playbook enforces the pattern itself.
    question = _group_question()
    stated = re.search(r"Regex: (\S+)", question["question_description"])
    assert stated and stated.group(1) == GROUP_NAME_PATTERN
    assert GROUP_NAME_RULE in question["question_description"]
    assert (question["type"], question["required"], question["min"], question["max"]) == ("text", True, 1, GROUP_NAME_MAX_LENGTH)


@pytest.mark.parametrize("answer, accepted", [("g", True), ("a" * GROUP_NAME_MAX_LENGTH, True), ("", False),
                                              ("a" * (GROUP_NAME_MAX_LENGTH + 1), False)])
def test_survey_length_bounds(answer: str, accepted: bool) -> None:
    if accepted:
        assert survey_extra_vars({"group": answer}) == {"group": answer}
    else:
        with pytest.raises(AssertionError):
            survey_extra_vars({"group": answer})


def test_credential_type_injects_the_module_token_variable_only_as_environment() -> None:
    credential_type = load_credential_type()
    fields = {field["id"]: field for field in credential_type["inputs"]["fields"]}
    assert fields["api_token"]["secret"] is True and credential_type["inputs"]["required"] == ["api_token"]
    assert credential_type["kind"] == "cloud"  # the kinds AWX accepts for custom types: cloud, net
    assert credential_environment({"api_token": "s3cret"}) == {TOKEN_ENV_VAR: "s3cret"}


def test_project_requirements_pin_this_collection_version() -> None:
    requirements = yaml.safe_load((AWX_KIT / "project" / "collections" / "requirements.yml").read_text(encoding="utf-8"))
    assert requirements["collections"] == [{"name": "clusterops.groups", "version": galaxy_version()}]
