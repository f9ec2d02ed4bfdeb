"""An assignment's own pytest checks: fixtures hand out data, helpers fail with catalog
messages, the points marker sets the weight (both front ends count them alike:
``tests/test_save_load.py``)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest

from grader.course.assignment import AssignmentError, load_assignment
from grader.course.custom_checks import CustomCheckError, collect, run
from grader.course.fixtures import StudentRun, read_only
from grader.evidence.facts import CompileFacts, Facts, FitFacts
from grader.messages import Rendered, render
from grader.model.architecture import parse_architecture
from grader.model.training import Built, LayerMeasure, Training
from grader.sandbox.runner import Execution
from tests.conftest import SAVE_LOAD

CONFIG = {
    "class_name": "Sequential",
    "config": {
        "name": "s",
        "layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "in"}},
            {"class_name": "Dense", "config": {"name": "dense", "units": 3, "activation": "relu"}},
            {
                "class_name": "Dense",
                "config": {"name": "dense_1", "units": 2, "activation": "softmax"},
            },
        ],
    },
}


def student(**arrays: np.ndarray | None) -> StudentRun:
    facts = Facts(
        Execution("completed", (), 0.0, False),
        "mnist",
        False,
        architecture=parse_architecture(json.dumps(CONFIG)),
        built=Built((LayerMeasure("Dense", (3,), 15), LayerMeasure("Dense", (2,), 8)), 23),
        compile=CompileFacts("categorical_crossentropy", "Adam", {}, ("accuracy",)),
        fit=FitFacts(128, 2, "test", 0.0, ("loss",), {"loss": [1.0, 0.5]}),
        training=Training(0.9, 100, 1, 32, 10, 0.1),
    )
    default = {
        "x_train": np.zeros((5, 4), np.float32),
        "y_train": np.eye(2)[[0, 1, 0, 1, 1]],
        "x_test": np.ones((3, 4), np.float32),
        "y_test": np.eye(2)[[1, 0, 1]],
    }
    return StudentRun(facts, None, read_only({**default, **arrays}))  # type: ignore[arg-type]


def folder_with(tmp_path: Path, source: str) -> Path:
    (tmp_path / "test_extra.py").write_text(textwrap.dedent(source))
    return tmp_path


def outcomes(folder: Path, run_of: StudentRun | None = None):
    return run(collect(folder), folder, run_of or student())


def test_fixtures_hand_out_the_run_as_read_only_data(tmp_path: Path) -> None:
    folder = folder_with(
        tmp_path,
        """
        import pytest

        def test_arrays(x_train, y_test, arrays):
            assert x_train.shape == (5, 4) and not x_train.flags.writeable
            with pytest.raises(ValueError):
                x_train[0, 0] = 1
            assert arrays["y_test"] is not None and y_test.shape == (3, 2)

        def test_model(model):
            assert model.class_names == ("Dense", "Dense")
            assert [l.output_shape for l in model.layers] == [(3,), (2,)]
            assert model.layers[0].config["units"] == 3 and model.total_params == 23

        def test_settings(compile_settings, fit_settings, history, accuracy, figures):
            assert compile_settings.loss == "categorical_crossentropy"
            assert fit_settings.batch_size == 128
            assert history["loss"] == (1.0, 0.5) and accuracy == 0.9 and figures == ()
    """,
    )
    found = outcomes(folder)
    assert {k: o.status for k, o in found.items()} == {
        "custom.arrays": "passed",
        "custom.model": "passed",
        "custom.settings": "passed",
    }


def test_missing_data_means_not_run_with_a_message(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, "def test_needs_test_images(x_test):\n    pass\n")
    outcome = outcomes(folder, student(x_test=None))["custom.needs_test_images"]
    assert outcome.status == "not_run"
    assert "produced no x_test" in render(outcome.message, "en").found


def test_points_marker_and_titles(tmp_path: Path) -> None:
    folder = folder_with(
        tmp_path,
        """
        import pytest

        @pytest.mark.points(3)
        @pytest.mark.title(en="three points", ja="3 点")
        def test_weighty():
            pass

        def test_plain():
            '''worth the default point'''
    """,
    )
    checks = {c.id: c for c in collect(folder)}
    assert checks["custom.weighty"].points == 3.0 and checks["custom.weighty"].title == {
        "en": "three points",
        "ja": "3 点",
    }
    assert checks["custom.plain"].points == 1.0 and checks["custom.plain"].title == {
        "en": "worth the default point"
    }


def test_helpers_fail_like_built_in_checks_in_both_languages(tmp_path: Path) -> None:
    folder = folder_with(
        tmp_path,
        """
        from grader.assertions import assert_layers, assert_one_hot, assert_shape, fail

        def test_shape(x_train):
            assert_shape(x_train, (None, 784), "x_train")

        def test_onehot(y_train):
            assert_one_hot(y_train, 10, "y_train")

        def test_layers(model):
            assert_layers(model, ["Conv2D", "Dense"])

        def test_own_words():
            fail(expected={"en": "a cat", "ja": "猫"}, found="a dog",
                 fix={"en": "draw a cat", "ja": "猫を描く"})

        def test_plain_assert():
            assert 1 + 1 == 3

        def test_broken():
            1 / 0
    """,
    )
    found = outcomes(folder)
    assert all(o.status == "failed" for o in found.values())
    shape = render(found["custom.shape"].message, "en")
    assert (shape.expected, shape.found) == (
        "x_train of shape (N, 784)",
        "x_train has shape (5, 4)",
    )
    assert "(N, 784)" in render(found["custom.shape"].message, "ja").expected
    assert "to_categorical(y_train, 10)" in render(found["custom.onehot"].message, "en").fix
    assert "Dense → Dense" in render(found["custom.layers"].message, "en").found
    assert render(found["custom.own_words"].message, "ja") == Rendered("猫", "a dog", "猫を描く")
    assert render(found["custom.own_words"].message, "en") == Rendered(
        "a cat", "a dog", "draw a cat"
    )
    assert "assert (1 + 1) == 3" in render(found["custom.plain_assert"].message, "en").found
    assert "ZeroDivisionError" in render(found["custom.broken"].message, "en").found


def test_a_broken_test_file_is_an_assignment_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assignment = tmp_path / "broken"
    assignment.mkdir()
    toml = (SAVE_LOAD / "assignment.toml").read_text()
    (assignment / "assignment.toml").write_text(toml)
    (assignment / "test_oops.py").write_text("def test_x(:\n    pass\n")
    monkeypatch.setenv("GRADER_ASSIGNMENTS", str(tmp_path))
    with pytest.raises(AssignmentError, match="cannot be collected"):
        load_assignment("broken")
    (assignment / "test_oops.py").write_text(
        "import pytest\n@pytest.mark.points('many')\ndef test_x():\n    pass\n"
    )
    with pytest.raises(CustomCheckError, match="points must be a number"):
        collect(assignment)


def test_custom_points_count_in_the_maximum() -> None:
    assignment = load_assignment("save-load")
    assert {c.id: c.points for c in assignment.custom} == {
        "custom.prepared_test_set": 1.0,
        "custom.dense_network": 1.0,
        "custom.file_names": 2.0,
    }
    assert assignment.max_score == sum(assignment.points.values()) + 4
