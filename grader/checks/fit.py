"""Fit settings: the batch size, the epochs, the validation data, and the keys of the history."""

from __future__ import annotations

from grader.checks.expected import Expected
from grader.checks.reference_setting import same_as_reference
from grader.checks.registry import check
from grader.evidence.facts import Facts
from grader.model.compile_forms import history_meaning
from grader.outcome import PASSED, Outcome, Term, failed, not_run

batch_size = check("fit.batch_size")(
    same_as_reference("fit.batch_size", Term("default_batch_size"))
)
epochs = check("fit.epochs")(same_as_reference("fit.epochs"))


@check("fit.validation")
def validation(facts: Facts, expected: Expected) -> Outcome:
    fit = facts.fit
    if fit is None:
        return failed("fit.missing")
    if expected.validation == "test" and fit.validation != "test":
        validation = facts.provenance.validation
        if validation is not None and validation.images.split in ("train", "both"):
            # Where the images came from says more than "other".
            return failed("fit.validation_training_images", rows=validation.images.train_rows)
        return failed("fit.validation_test", found=Term(f"validation.{fit.validation}"))
    if expected.validation == "split":
        split = expected.validation_split or 0
        if fit.validation != "split" or abs(fit.validation_split - split) > 1e-9:
            return failed(
                "fit.validation_split",
                found=fit.validation_split,
                expected=expected.validation_split,
            )
    return PASSED


@check(
    "fit.history",
    after={
        # No finished fit: labels or images it cannot train on, a cell that raised, or no fit.
        "fit.no_history": ("data.x_shape", "data.y_onehot", "run.cells", "fit.epochs"),
        "fit.history": ("fit.validation", "compile.metrics"),
    },
)
def history(facts: Facts, expected: Expected) -> Outcome:
    if facts.fit is None or facts.fit.history_keys is None:
        return not_run("fit.no_history")
    # Read as what each key records: ``acc``, or ``categorical_accuracy`` under categorical
    # cross-entropy, is the accuracy.
    loss = facts.compile.loss if facts.compile is not None else expected.loss
    keys = {history_meaning(k, loss) for k in facts.fit.history_keys}
    if any(history_meaning(k, expected.loss) not in keys for k in expected.history_keys):
        return failed(
            "fit.history",
            found=sorted(facts.fit.history_keys),
            expected=list(expected.history_keys),
        )
    return PASSED
