"""The method, not only the form: trained on the training images, validated on images fit does not
train on, evaluated on the test images, training and test images prepared alike.

Each reads where the arrays came from (``Facts.provenance``): a notebook whose arrays have the
right shapes, dtypes and ranges can still train on the test set or evaluate on the images it
learnt.  Where the images cannot be traced to the dataset, the check is not run and says why.
"""

from __future__ import annotations

from grader.checks.expected import Expected
from grader.checks.registry import check
from grader.evidence import layouts
from grader.evidence.facts import Facts
from grader.evidence.provenance import Origin
from grader.outcome import PASSED, Outcome, Term, failed, not_run

# More validation images than this share among the training images: validated on what it learns.
MAX_VALIDATION_IN_TRAINING = 0.01


def transform_term(origin: Origin) -> Term:
    """How the pixels of ``origin``'s images were mapped, as a word of the catalog."""
    return Term(f"transform.{origin.images.transform.kind}")


def _untraced(key: str, origin: Origin) -> Outcome:
    how = "unknown" if origin.images.split == "unknown" else "neither"
    return not_run(key, name=origin.name, how=Term(f"untraced.{how}"))


@check("method.train_data")
def train_data(facts: Facts, expected: Expected) -> Outcome:
    origin = facts.provenance.train
    if facts.fit is None or origin is None:
        return not_run("fit.missing")
    images = origin.images
    if not images.traced:
        return _untraced("method.train_untraced", origin)
    if images.split == "test":
        return failed("method.trained_on_test", rows=images.rows)
    if images.test_rows:
        return failed("method.train_has_test", count=images.test_rows, rows=images.rows)
    return PASSED


@check("method.validation_data")
def validation_data(facts: Facts, expected: Expected) -> Outcome:
    fit = facts.fit
    if fit is None:
        return not_run("fit.missing")
    provenance = facts.provenance
    origin = provenance.validation
    if origin is None:
        # Held out by Keras (``validation_split``), or none at all: then nothing was validated on
        # training images, and the missing validation is ``fit.validation``'s finding, one point
        # lost for one mistake.
        return PASSED
    if not origin.images.traced:
        return _untraced("method.validation_untraced", origin)
    share = provenance.validation_in_training
    if share is not None and share > MAX_VALIDATION_IN_TRAINING:
        return failed("method.validated_on_training", percent=round(100 * share, 1))
    return PASSED


SOURCES = {"evaluate": "source.evaluate", "validation": "source.validation"}


@check("method.test_data")
def test_data(facts: Facts, expected: Expected) -> Outcome:
    provenance = facts.provenance
    origin = provenance.test
    if origin is None:
        return not_run("method.no_test")
    images = origin.images
    if not images.traced:
        return _untraced("method.test_untraced", origin)
    source = Term(SOURCES.get(provenance.test_source, "source.variable"))
    if images.split == "train":
        return failed("method.evaluated_on_train", rows=images.rows, source=source)
    if images.train_rows:
        return failed(
            "method.test_has_train", count=images.train_rows, rows=images.rows, source=source
        )
    return PASSED


@check("method.same_scaling")
def same_scaling(facts: Facts, expected: Expected) -> Outcome:
    train, test = facts.provenance.train, facts.provenance.test
    if train is None or test is None:
        return not_run("method.no_pair")
    for origin in (train, test):
        if not origin.images.traced:
            return _untraced("method.scaling_untraced", origin)
    a, b = train.images.transform, test.images.transform
    if a.same_as(b):
        return PASSED
    if a.layout != b.layout:
        return failed(
            "method.laid_out_differently",
            train=layouts.term(a.layout),
            test=layouts.term(b.layout),
        )
    return failed(
        "method.scaled_differently",
        train=transform_term(train),
        test=transform_term(test),
        train_map=_map(a.scale, a.offset),
        test_map=_map(b.scale, b.offset),
    )


def _map(scale: float | None, offset: float | None) -> str:
    """A map of the pixels as a formula (``p / 255``, ``p / 127.5 - 1``)."""
    if not scale or offset is None:
        return "?"
    divisor = f"{1 / scale:.6g}"
    formula = "p" if divisor == "1" else f"p / {divisor}"
    if abs(offset) >= 5e-5:
        formula += f" {'-' if offset < 0 else '+'} {abs(offset):.4g}"
    return formula
