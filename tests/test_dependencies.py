"""Which failure follows from which (``grader/checks/dependencies.py``), over plain data; what the
checks declare (``@check(..., after=...)``); and what a consequence costs (``[scoring]``)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from grader.checks.catalog import load_all
from grader.checks.dependencies import Verdict, causes, declared, explaining
from grader.checks.registry import ANY
from grader.course.assignment import AssignmentError, load_assignment
from grader.messages import catalog
from grader.outcome import Message
from grader.record import CheckResult
from grader.scoring import with_causes
from tests.conftest import ROOT, copied_assignment

AFTER = {
    "fit.history": {"fit.no_history": ("data.y_onehot", "run.cells")},
    "results.accuracy": {ANY: ("data.y_onehot", "model.layers")},
    "plots.loss": {"plots.no_history": ("fit.history",), "plots.no_validation": ("fit.history",)},
    "model.params": {ANY: ("model.layers", "model.output_shapes")},
}


def failed(check_id: str, key: str, **params: object) -> Verdict:
    return Verdict(check_id, "failed", key, params)


def not_run(check_id: str, key: str) -> Verdict:
    return Verdict(check_id, "not_run", key)


def passed(check_id: str) -> Verdict:
    return Verdict(check_id, "passed")


def test_a_missing_one_hot_is_the_cause_of_what_follows_from_it() -> None:
    verdicts = [
        failed("run.cells", "run.cells"),
        failed("data.y_onehot", "data.y_not_onehot"),
        not_run("fit.history", "fit.no_history"),
        failed("results.accuracy", "results.train_error"),
        not_run("plots.loss", "plots.no_history"),
    ]
    # The chain's first failure is every consequence's cause; the cell that raised is a cause of
    # its own (nothing declares it explained by the labels).
    assert causes(verdicts, AFTER) == {
        "fit.history": "data.y_onehot",
        "results.accuracy": "data.y_onehot",
        "plots.loss": "data.y_onehot",
    }


def test_the_likeliest_cause_declared_first_is_named() -> None:
    verdicts = [
        failed("run.cells", "run.cells"),
        passed("data.y_onehot"),
        not_run("fit.history", "fit.no_history"),
        not_run("plots.loss", "plots.no_history"),
    ]
    assert causes(verdicts, AFTER) == {"fit.history": "run.cells", "plots.loss": "run.cells"}


def test_a_failure_no_dependency_explains_is_the_checks_own() -> None:
    verdicts = [
        failed("fit.history", "fit.history"),
        # No x label: the curves were there, so the history is not why.
        failed("plots.loss", "plots.no_xlabel"),
    ]
    assert causes(verdicts, AFTER) == {}


def test_a_dependency_that_passed_skipped_or_is_absent_explains_nothing() -> None:
    verdicts = [
        passed("data.y_onehot"),
        Verdict("model.layers", "skipped", "model.subclassed"),
        failed("results.accuracy", "results.accuracy"),
        failed("model.params", "model.params"),
    ]
    assert causes(verdicts, AFTER) == {}


def test_a_check_that_did_not_fail_is_no_consequence() -> None:
    verdicts = [
        failed("model.layers", "model.layer_field"),
        passed("model.params"),
        Verdict("results.accuracy", "skipped", "results.synthetic"),
    ]
    assert causes(verdicts, AFTER) == {}


def test_the_same_finding_told_twice_is_one_cause() -> None:
    verdicts = [
        failed("fit.batch_size", "fit.missing"),
        failed("fit.epochs", "fit.missing"),
        failed("fit.validation", "fit.missing"),
        failed("compile.loss", "compile.missing"),
        failed("compile.optimizer", "compile.missing"),
        # Not the same finding: another message.
        failed("compile.metrics", "compile.metrics"),
        # Not the same finding: other parameters.
        failed("plots.accuracy", "plots.missing", quantity="accuracy"),
        failed("plots.loss", "plots.missing", quantity="loss"),
    ]
    assert causes(verdicts, AFTER) == {
        "fit.epochs": "fit.batch_size",
        "fit.validation": "fit.batch_size",
        "compile.optimizer": "compile.loss",
    }


def test_an_assignments_own_checks_share_no_finding() -> None:
    verdicts = [
        Verdict("custom.a", "failed", "custom.assertion", {"detail": "x"}, builtin=False),
        Verdict("custom.b", "failed", "custom.assertion", {"detail": "x"}, builtin=False),
    ]
    assert causes(verdicts, AFTER) == {}


def test_a_chain_through_a_consequence_names_its_first_failure() -> None:
    verdicts = [
        failed("model.layers", "model.layer_field"),
        failed("model.output_shapes", "model.output_shape"),
        failed("model.params", "model.params"),
    ]
    after = {**AFTER, "model.output_shapes": {ANY: ("model.layers",)}}
    assert causes(verdicts, after) == {
        "model.output_shapes": "model.layers",
        "model.params": "model.layers",
    }


def test_a_loop_ends_at_its_earliest_check() -> None:
    after = {"a.one": {ANY: ("a.two",)}, "a.two": {ANY: ("a.one",)}, "a.three": {ANY: ("a.two",)}}
    verdicts = [failed("a.one", "k.one"), failed("a.two", "k.two"), failed("a.three", "k.three")]
    assert causes(verdicts, after) == {"a.two": "a.one", "a.three": "a.one"}


def test_a_finding_not_named_falls_back_to_what_every_failure_rests_on() -> None:
    after = {"x.y": {"x.special": ("a.b",), ANY: ("c.d",)}}
    assert explaining("x.y", "x.special", after) == ("a.b",)
    assert explaining("x.y", "x.other", after) == ("c.d",)
    assert explaining("x.y", None, after) == ("c.d",)
    assert explaining("x.z", "x.other", after) == ()


# What the checks declare.

REGISTRY = load_all()
DECLARED = declared(REGISTRY)


def test_every_dependency_is_a_check_and_every_finding_a_message() -> None:
    messages = catalog("en")["msg"]
    for check_id, table in DECLARED.items():
        for finding, dependencies in table.items():
            assert finding == ANY or finding in messages, (check_id, finding)
            assert dependencies and set(dependencies) <= set(REGISTRY), (check_id, dependencies)
            assert check_id not in dependencies


def test_what_the_checks_declare_has_no_loop() -> None:
    edges = {c: {d for deps in table.values() for d in deps} for c, table in DECLARED.items()}

    def reaches(start: str, goal: str, seen: frozenset[str] = frozenset()) -> bool:
        return any(
            d == goal or (d not in seen and reaches(d, goal, seen | {d}))
            for d in edges.get(start, ())
        )

    assert not [c for c in edges if reaches(c, c)]


@pytest.mark.parametrize("name", sorted(p.parent.name for p in ROOT.glob("assignments/*/*.toml")))
def test_in_every_assignment_a_check_comes_after_what_it_rests_on(name: str) -> None:
    order = list(load_assignment(name).points)
    for check_id in order:
        for dependencies in DECLARED.get(check_id, {}).values():
            present = [d for d in dependencies if d in order]
            assert all(order.index(d) < order.index(check_id) for d in present), check_id


# What a consequence costs.


def _results() -> tuple[CheckResult, ...]:
    return (
        CheckResult("run.cells", "run", "passed", 1.0, 1.0, None),
        CheckResult("data.y_onehot", "data", "failed", 0.0, 1.0, Message("data.y_not_onehot")),
        CheckResult("fit.history", "fit", "not_run", 0.0, 1.0, Message("fit.no_history")),
        CheckResult(
            "results.accuracy", "results", "failed", 0.0, 3.0, Message("results.train_error")
        ),
    )


def test_by_default_a_consequence_loses_its_points_and_names_its_cause() -> None:
    week8 = load_assignment("week8")
    assert week8.consequences == "counted"
    scored = {r.id: r for r in with_causes(_results(), week8)}
    assert scored["fit.history"].caused_by == "data.y_onehot"
    assert scored["fit.history"].points == 0.0 and not scored["fit.history"].waived
    # The grader could not train on labels that are not one-hot: the labels are named.
    assert scored["results.accuracy"].caused_by == "data.y_onehot"
    assert scored["data.y_onehot"].caused_by is None and scored["data.y_onehot"].points == 0.0


def test_an_assignment_may_waive_the_points_of_consequences() -> None:
    waived = dataclasses.replace(load_assignment("week8"), consequences="waived")
    scored = {r.id: r for r in with_causes(_results(), waived)}
    assert scored["fit.history"].waived and scored["fit.history"].points == 1.0
    assert scored["results.accuracy"].points == 3.0
    assert scored["fit.history"].status == "not_run"  # still a failure, shown under its cause
    # The cause still costs.
    assert scored["data.y_onehot"].points == 0.0 and not scored["data.y_onehot"].waived


def test_the_policy_is_read_from_the_assignment(tmp_path: Path) -> None:
    toml = copied_assignment("week8", tmp_path)
    original = toml.read_text(encoding="utf-8")
    toml.write_text(original + '\n[scoring]\nconsequences = "waived"\n', encoding="utf-8")
    assert load_assignment("week8", tmp_path).consequences == "waived"
    toml.write_text(original + '\n[scoring]\nconsequences = "free"\n', encoding="utf-8")
    with pytest.raises(AssignmentError, match=r"\[scoring\].*'counted' or 'waived'"):
        load_assignment("week8", tmp_path)
    toml.write_text(original + '\n[scoring]\nconsequence = "waived"\n', encoding="utf-8")
    with pytest.raises(AssignmentError, match=r"\[scoring\].*consequence"):
        load_assignment("week8", tmp_path)


def test_a_low_accuracy_is_not_blamed_on_labels_it_trained_on_all_the_same() -> None:
    """Labels that are not one-hot stop training; an accuracy below the threshold (training
    worked) follows from labels only when they are separated from their images."""
    verdicts = [
        failed("data.y_onehot", "data.y_columns"),
        passed("data.y_agree"),
        failed("results.accuracy", "results.accuracy"),
    ]
    assert causes(verdicts, DECLARED) == {}
    verdicts[1] = failed("data.y_agree", "data.y_agree")
    assert causes(verdicts, DECLARED) == {"results.accuracy": "data.y_agree"}


def test_a_fit_cut_short_is_the_cause_of_the_model_and_history_it_never_gave() -> None:
    """A fit cell stopped at its time limit: no model was found, nothing was measured, there is no
    history; the cell is named as the cause of all of it."""
    verdicts = [
        failed("run.cells", "run.cells"),
        failed("model.layers", "model.missing"),
        not_run("model.params", "model.no_model"),
        not_run("fit.history", "fit.no_history"),
        not_run("results.accuracy", "results.not_measured"),
        not_run("plots.loss", "plots.no_history"),
    ]
    assert causes(verdicts, DECLARED) == {v.id: "run.cells" for v in verdicts[1:]}
    # A model the notebook never trains, in a notebook that runs, is the layer check's own.
    verdicts[0] = passed("run.cells")
    assert "model.layers" not in causes(verdicts, DECLARED)


@pytest.mark.parametrize(
    ("cause", "key"),
    [
        (failed("data.y_agree", "data.y_relabelled"), "results.accuracy_labels"),
        (failed("data.x_range", "data.x_scaled_twice"), "results.accuracy_scaling"),
        (
            failed("method.same_scaling", "method.laid_out_differently"),
            "results.accuracy_laid_out_differently",
        ),
        (
            failed("method.same_scaling", "method.scaled_differently"),
            "results.accuracy_prepared_differently",
        ),
        (failed("method.train_data", "method.trained_on_test"), "results.accuracy_train_data"),
        (failed("method.train_data", "method.trained_on_test"), "results.no_test_left"),
    ],
    ids=["labels", "scaling", "layout", "prepared", "train data", "nothing left"],
)
def test_a_low_accuracy_the_data_explains_rests_on_the_check_that_names_it(
    cause: Verdict, key: str
) -> None:
    """Each data cause the accuracy check names (``results._data_cause``) has the check that names
    it as its cause, so the report leads with that check."""
    consequence = (
        not_run("results.accuracy", key)
        if key == "results.no_test_left"
        else failed("results.accuracy", key)
    )
    assert causes([cause, consequence], DECLARED) == {"results.accuracy": cause.id}
