"""What the record notes about the grader's own measurement: the test images it used (the dataset's
own, prepared as the student prepared theirs), those it left out, and how the student's own test
images differ from them.  The student's evaluation stays a fact about their notebook; these notes
say why the grader's figure is not theirs."""

from __future__ import annotations

from grader.evidence import layouts
from grader.evidence.facts import Facts
from grader.outcome import Message, Term

# How the measurements are listed, in each language ("0.7412, then 0.7890").
THEN = {"en": ", then ", "ja": "、次に "}


def remeasured_note(facts: Facts) -> list[Message]:
    """The note of a measurement near the threshold, measured again with other seeds."""
    trials, mean = facts.trials, facts.judged_accuracy
    if len(trials) < 2 or mean is None:
        return []
    accuracies = [f"{accuracy:.4f}" for _, accuracy in trials]
    return [
        Message(
            "note.remeasured",
            {
                "count": len(trials),
                "seeds": ", ".join(str(seed) for seed, _ in trials),
                "measurements": {lang: then.join(accuracies) for lang, then in THEN.items()},
                "mean": round(mean, 4),
            },
        )
    ]


def _laid_out(facts: Facts) -> list[Message]:
    """The note of images the student rearranged (transposed, flipped, rotated) alike: traced, and
    the test images prepared the same way.  Laid out differently, the method check says so."""
    origins = [o for o in (facts.provenance.train, facts.provenance.test) if o is not None]
    found = {o.images.transform.layout for o in origins if o.images.traced}
    if len(found) != 1 or found == {layouts.AS_LOADED}:
        return []
    names = ", ".join(o.name for o in origins if o.images.traced)
    return [Message("note.laid_out", {"names": names, "layout": layouts.term(found.pop())})]


def measured_notes(facts: Facts) -> list[Message]:
    training, on = facts.training, facts.measured_on
    if training is None:
        return []
    measured = {
        "samples": training.samples,
        "epochs": training.epochs,
        "test": training.test_samples,
    }
    if on is None:
        return [Message("note.measured", measured), *remeasured_note(facts)]
    notes = [
        Message(
            "note.measured_on",
            {
                **measured,
                "size": on.split_size,
                "like": on.preparation.like,
                "transform": Term(f"transform.{on.preparation.transform.kind}"),
            },
        )
    ]
    notes.extend(remeasured_note(facts))
    notes.extend(_laid_out(facts))
    if on.left_out:
        notes.append(Message("note.measured_left_out", {"left_out": on.left_out}))
    test = facts.provenance.test
    if test is None:
        return notes
    images = test.images
    if not images.traced:
        notes.append(Message("note.measured_test_untraced", {"name": test.name}))
    elif images.train_rows:
        notes.append(Message("note.measured_test_train", {"name": test.name}))
    elif images.order in ("subset", "repeated"):
        notes.append(
            Message("note.measured_test_subset", {"rows": images.rows, "size": images.split_size})
        )
    return notes
