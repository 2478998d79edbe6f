"""The security mutations still point at real code and real tests (the runner itself is slow and runs only as
`./scripts/test --mutations`): a refactor that moves a check or renames a test fails here, loudly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mutations.catalogue import MUTATIONS, Mutation
from tests.mutations.run import snippet_problem

ROOT = Path(__file__).resolve().parents[2]


def test_the_catalogue_has_enough_distinct_mutations() -> None:
    ids = [m.id for m in MUTATIONS]
    assert len(ids) == len(set(ids))
    assert len(ids) >= 28


@pytest.mark.parametrize("mutation", MUTATIONS, ids=lambda m: m.id)
def test_each_mutation_applies_once_and_names_existing_tests(mutation: Mutation) -> None:
    assert mutation.snippet != mutation.replacement
    assert mutation.tests, "a mutation no test is named for can never be killed"
    assert snippet_problem(mutation, ROOT) is None, snippet_problem(mutation, ROOT)
