"""The feedback page and the class summary, as text and as a person sees them in Chromium.

Records and facts are built by hand (grading a notebook costs far more than these tests);
the screenshots come from Debian's headless Chromium and are judged by colours: the
matplotlib curves (C0 blue, C1 orange) on both sides of the curves section, the coloured
rows of the layer table, the bars of the histogram.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import importlib
import io
import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from rich.console import Console

from grader.boundary.execution import CellError, CellRun, Execution
from grader.checks.expected import Expected
from grader.course.assignment import load_assignment
from grader.evidence.facts import Axes, Facts, FigureFacts, Line
from grader.messages import render, text
from grader.model.architecture import Architecture, LayerSpec
from grader.model.training import Built, LayerMeasure
from grader.outcome import Message
from grader.record import CheckResult, Record
from grader.report import json_record
from grader.report.class_summary import summarise
from grader.report.curves import FILE_NAME, is_current, parse_curves, reference_curves
from grader.report.feedback_html import feedback_page
from grader.report.folder import RecordFolder
from grader.report.graded import package
from grader.report.html_page import esc
from grader.report.layer_table import layer_rows
from grader.report.summary import BAR_COLOUR, summary_page, summary_renderable, write_summary
from grader.report.view import View, build_view
from grader.submissions.finding import Job

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = "<script>alert('x')</script>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
WINDOW = (1200, 4000)
PLOT_BLUE, PLOT_ORANGE = (31, 119, 180), (255, 127, 14)
ROW_HIGHLIGHT = (255, 225, 221)


# --- hand-built records -------------------------------------------------------------------


def conv(filters: int, name: str, padding: str = "valid") -> LayerSpec:
    return LayerSpec(
        "Conv2D",
        name,
        {
            "filters": filters,
            "kernel_size": [3, 3],
            "strides": [1, 1],
            "padding": padding,
            "activation": "relu",
        },
    )


def pool(name: str) -> LayerSpec:
    return LayerSpec(
        "MaxPooling2D", name, {"pool_size": [2, 2], "strides": [2, 2], "padding": "valid"}
    )


def week8_layers(first_filters: int, first_name: str) -> tuple[LayerSpec, ...]:
    return (
        conv(first_filters, first_name, "same"),
        pool("pool"),
        conv(128, "conv2"),
        pool("pool2"),
        LayerSpec("Dropout", "drop", {"rate": 0.5}),
        LayerSpec("Flatten", "flat", {}),
        LayerSpec("Dense", "dense", {"units": 128, "activation": "relu"}),
        LayerSpec("Dropout", "drop2", {"rate": 0.25}),
        LayerSpec("Dense", "out", {"units": 10, "activation": "softmax"}),
    )


def week8_built(first_filters: int) -> Built:
    f = first_filters
    layers = (
        LayerMeasure("Conv2D", (28, 28, f), 9 * f + f),
        LayerMeasure("MaxPooling2D", (14, 14, f), 0),
        LayerMeasure("Conv2D", (12, 12, 128), 9 * f * 128 + 128),
        LayerMeasure("MaxPooling2D", (6, 6, 128), 0),
        LayerMeasure("Dropout", (6, 6, 128), 0),
        LayerMeasure("Flatten", (4608,), 0),
        LayerMeasure("Dense", (128,), 589_952),
        LayerMeasure("Dropout", (128,), 0),
        LayerMeasure("Dense", (10,), 1_290),
    )
    return Built(layers, sum(layer.params for layer in layers))


@functools.cache
def curve_png(key: str, train: tuple[float, ...]) -> bytes:
    figure = Figure(figsize=(6.4, 4.8), dpi=60)
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    axes.plot(train, label=key, linewidth=3)
    axes.plot([v * 1.1 for v in train], label=f"val_{key}", linewidth=3)
    axes.set_xlabel("epoch")
    axes.legend([HOSTILE, "val"])
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def expected() -> Expected:
    return Expected(
        input_shape=(28, 28, 1),
        classes=10,
        architecture=Architecture("Sequential", (28, 28, 1), week8_layers(64, "conv2d")),
        built=week8_built(64),
        loss="categorical_crossentropy",
        optimizer="Adam",
        optimizer_settings={},
        metrics=("accuracy",),
        batch_size=128,
        epochs=20,
        validation="test",
        validation_split=None,
        history_keys=("loss", "accuracy", "val_loss", "val_accuracy"),
        threshold=0.85,
        reference_accuracy=0.93,
        measure_samples=4000,
        measure_epochs=1,
    )


def student_record(name: str = "alice.ipynb") -> Record:
    """A graded week-8 record: 32 filters in the first layer (named hostilely), a raising cell,
    two figures."""
    loss, accuracy = (2.3, 1.5, 0.9, 0.6, 0.5), (0.2, 0.5, 0.7, 0.8, 0.85)
    figures = tuple(
        FigureFacts(
            curve_png(key, values),
            (Axes("epoch", key, key, (HOSTILE, "val"), (Line(HOSTILE, values, "", "-"),), 0),),
        )
        for key, values in (("loss", loss), ("accuracy", accuracy))
    )
    cells = (
        CellRun(1, "import keras", "ok", 0.5),
        CellRun(
            2,
            "from keras.utils import np_utils",
            "error",
            0.1,
            CellError(
                "ImportError",
                "cannot import name 'np_utils'",
                f'Traceback (most recent call last)\n  File "{HOSTILE}"\nImportError: cannot '
                "import name 'np_utils'",
            ),
        ),
    )
    facts = Facts(
        execution=Execution("completed", cells, 3.0, False),
        dataset="mnist",
        synthetic_data=False,
        architecture=Architecture("Sequential", (28, 28, 1), week8_layers(32, HOSTILE)),
        built=week8_built(32),
        figures=figures,
    )
    layer_message = Message(
        "model.layer_field",
        {
            "position": 1,
            "layer": "Conv2D",
            "field": "filters",
            "value": 32,
            "target": 64,
            "expected": "Conv2D(filters=64, ...)",
        },
    )
    checks = (
        CheckResult(
            "run.cells",
            "run",
            "failed",
            0.0,
            1.0,
            Message("run.cells", {"count": 1, "cell": 2, "error": "ImportError"}),
        ),
        CheckResult("model.layers", "model", "failed", 0.0, 3.0, layer_message),
        CheckResult("fit.epochs", "fit", "passed", 1.0, 1.0, None),
    )
    return Record(
        "week8",
        name,
        "graded",
        1.0,
        5.0,
        12.5,
        checks,
        (Message("note.synthetic", {"dataset": "mnist"}),),
        facts=facts,
    )


# --- Chromium -------------------------------------------------------------------------------


def view(record: Record, lang: str = "en", with_expected: bool = True) -> View:
    """The view of a hand-built week-8 record, with the committed reference curves."""
    week8 = load_assignment("week8")
    shown = expected() if with_expected else None
    return build_view(
        record,
        lang,
        Path(record.submission).stem,
        None,
        "",
        shown,
        reference_curves(week8.folder, week8.budget, shown),
    )


def screenshot(html: str, tmp_path: Path, name: str) -> np.ndarray:
    """The page as Chromium draws it (RGB array, WINDOW sized)."""
    if CHROMIUM is None:
        pytest.skip(
            "headless Chromium is not installed (Debian: apt-get install chromium); CI installs it"
        )
    page, shot = tmp_path / f"{name}.html", tmp_path / f"{name}.png"
    page.write_text(html, encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        subprocess.run(
            [
                CHROMIUM,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--screenshot={shot}",
                f"--window-size={WINDOW[0]},{WINDOW[1]}",
                page.as_uri(),
            ],
            capture_output=True,
            timeout=120,
            check=False,
        )
    assert shot.is_file(), "Chromium wrote no screenshot"
    return np.asarray(Image.open(shot).convert("RGB")).astype(int)


def near(image: np.ndarray, colour: tuple[int, int, int], tolerance: int = 24) -> np.ndarray:
    return np.all(np.abs(image - np.array(colour)) <= tolerance, axis=-1)


def runs(rows: np.ndarray) -> list[tuple[int, int]]:
    """Contiguous stretches of True in a 1-D mask, as (first, last) indices."""
    stretches, start = [], None
    for index, on in enumerate(rows):
        if on and start is None:
            start = index
        elif not on and start is not None:
            stretches.append((start, index - 1))
            start = None
    if start is not None:
        stretches.append((start, len(rows) - 1))
    return stretches


@pytest.fixture(scope="module")
def feedback_html() -> str:
    return feedback_page(view(student_record()))


def test_the_screenshot_shows_both_sets_of_curves_and_the_images_are_what_draws_them(
    feedback_html: str, tmp_path: Path
) -> None:
    shown = screenshot(feedback_html, tmp_path, "with-images")
    blank = screenshot(re.sub(r"<img [^>]*>", "", feedback_html), tmp_path, "without-images")
    middle = WINDOW[0] // 2
    for side, columns in (("student", slice(0, middle)), ("reference", slice(middle, None))):
        for colour in (PLOT_BLUE, PLOT_ORANGE):
            drawn = int(near(shown[:, columns], colour).sum())
            assert drawn > 300, f"{side} curves not visible in {colour}: {drawn} pixels"
    for colour in (PLOT_BLUE, PLOT_ORANGE):
        assert near(blank, colour).sum() < 30, (
            "plot colours without the images: the test would prove nothing"
        )


def test_the_screenshot_shows_the_layer_table_with_the_differing_rows_coloured(
    feedback_html: str, tmp_path: Path
) -> None:
    shown = screenshot(feedback_html, tmp_path, "layers")
    highlighted = near(shown, ROW_HIGHLIGHT, tolerance=4).sum(axis=1) > 300
    bands = runs(highlighted)
    rows = layer_rows(
        student_record().facts.architecture,
        week8_built(32),
        expected().architecture,
        week8_built(64),
    )
    differing = sum(1 for r in rows if r.differs)
    assert differing == 3  # conv 1 (filters), pool 1 (output), conv 2 (params)
    assert len(bands) == differing + 1, f"coloured rows (with the totals row): {bands}"
    dark = np.all(shown < 110, axis=-1)
    for first, last in bands:
        assert dark[first : last + 1].sum() > 100, (
            f"a coloured row without text at y={first}..{last}"
        )
    # The table lies below both curves (not lost in the plots' region).
    curves_bottom = max(np.nonzero(near(shown, PLOT_BLUE).any(axis=1))[0])
    assert bands[0][0] > curves_bottom


def test_the_summary_screenshot_shows_the_histogram_bars(tmp_path: Path) -> None:
    shown = screenshot(summary_page(class_records(), "en"), tmp_path, "summary")
    bar = tuple(int(BAR_COLOUR[i : i + 2], 16) for i in (1, 3, 5))
    bars = near(shown, bar, tolerance=6)  # type: ignore[arg-type]
    columns = runs(bars.sum(axis=0) > 5)
    assert len(columns) == 3, f"one bar per distinct score (0, 1, 5): {columns}"
    heights = [int(bars[:, first : last + 1].any(axis=1).sum()) for first, last in columns]
    assert (
        heights[0] > 20 and abs(heights[1] / heights[0] - 2) < 0.1 and heights[2] == heights[0]
    ), heights  # 1, 2, 1 scores


# --- text-level -------------------------------------------------------------------------------


def test_what_the_student_wrote_is_escaped(feedback_html: str) -> None:
    assert "<script" not in feedback_html.lower()
    assert (
        "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in feedback_html
    )  # layer name and traceback, shown


def test_the_page_requests_nothing_from_outside(feedback_html: str) -> None:
    pages = (feedback_html, summary_page(class_records(), "ja"))
    for page in pages:
        html = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
        assert not re.search(r"https?://|//[a-z]", html, re.IGNORECASE)
        assert not re.search(r"""(?:src|href)\s*=\s*["'](?!data:image/png;base64,)""", page)
        assert "url(" not in html and "@import" not in html
        assert "default-src 'none'" in html  # the Content-Security-Policy forbids any request


def test_every_image_is_an_embedded_png(feedback_html: str) -> None:
    sources = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', feedback_html)
    assert len(sources) == 4  # the student's two figures, the reference's loss and accuracy
    for source in sources:
        assert Image.open(io.BytesIO(base64.b64decode(source))).format == "PNG"


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_page_speaks_the_students_language(lang: str) -> None:
    html = feedback_page(view(student_record(), lang))
    record = student_record()
    assert f'<html lang="{lang}">' in html
    for section, key in (
        ("feedback", "curves"),
        ("feedback", "layers"),
        ("feedback", "layers_differ"),
        ("ui", "cell_errors"),
    ):
        assert esc(text(lang, section, key)) in html
    layer_message = render(record.checks[1].message, lang)  # type: ignore[arg-type]
    assert esc(layer_message.fix) in html
    assert esc(text(lang, "hint", "np_utils")) in html
    other = {"en": "ja", "ja": "en"}[lang]
    assert text(other, "feedback", "curves") not in html


def test_a_submission_that_could_not_run_gets_its_reason_and_no_empty_sections() -> None:
    record = Record(
        "week8",
        "bob.ipynb",
        "invalid_submission",
        0.0,
        5.0,
        0.1,
        (CheckResult("run.cells", "run", "not_run", 0.0, 1.0, Message("run.nothing")),),
        error=Message("submission.not_json", {"detail": HOSTILE, "file": "bob.ipynb"}),
    )
    html = feedback_page(view(record, with_expected=False))
    assert 'id="error"' in html and "&lt;script&gt;" in html and "<script" not in html
    assert 'id="layers"' not in html
    assert text("en", "feedback", "no_figures") in html


def test_stale_reference_curves_are_not_shown() -> None:
    data = json.loads((ROOT / "assignments" / "week8" / FILE_NAME).read_text())
    curves = parse_curves(data)
    budget = load_assignment("week8").budget
    assert curves is not None and is_current(curves, budget, expected())
    assert not is_current(curves, dict(budget, fit_samples=budget["fit_samples"] * 2), expected())
    assert not is_current(curves, budget, dataclasses.replace(expected(), epochs=3))
    assert parse_curves(dict(data, epochs=data["epochs"] + 1)) is None
    assert reference_curves(ROOT / "assignments" / "no-such-assignment", budget, None) is None


def test_the_committed_reference_curves_match_the_assignment() -> None:
    assignment = load_assignment("week8")
    data = json.loads((assignment.folder / FILE_NAME).read_text())
    module = importlib.import_module(assignment.reference)
    epochs = min(module.EPOCHS, assignment.budget["max_epochs"])
    keys = {"loss", *module.METRICS, "val_loss", *(f"val_{m}" for m in module.METRICS)}
    assert data["budget"] == assignment.budget
    assert data["epochs"] == epochs and data["batch_size"] == module.BATCH_SIZE
    assert set(data["history"]) == keys
    assert all(len(values) == epochs for values in data["history"].values())


def test_the_output_folder_writes_the_page_and_the_record_by_the_students_id(
    tmp_path: Path,
) -> None:
    job = Job("carol", tmp_path / "carol.ipynb")
    RecordFolder(tmp_path / "out").add(package(view(student_record("carol.ipynb"), "ja"), job))
    page = tmp_path / "out" / "feedback" / "carol.html"
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (
        json.loads((tmp_path / "out" / "carol.json").read_text(encoding="utf-8"))["language"]
        == "ja"
    )
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == [
        "carol.html",
        "carol.json",
        "feedback",
    ]  # no temporary file


# --- the class summary -------------------------------------------------------------------------


def class_records() -> list[dict]:
    """Five JSON documents as a batch writes them (via json_record.to_data, through JSON)."""
    return json.loads(_class_records())


@functools.cache
def _class_records() -> str:
    good = dataclasses.replace(
        student_record("good.ipynb"),
        score=5.0,
        duration_s=10.0,
        checks=tuple(
            dataclasses.replace(c, status="passed", points=c.max_points, message=None)
            for c in student_record().checks
        ),
    )
    buggy = [
        dataclasses.replace(student_record(f"buggy{i}.ipynb"), duration_s=20.0 + i)
        for i in range(2)
    ]
    invalid = Record(
        "week8",
        "empty.ipynb",
        "invalid_submission",
        0.0,
        5.0,
        0.5,
        tuple(
            dataclasses.replace(c, status="not_run", points=0.0, message=Message("run.nothing"))
            for c in student_record().checks
        ),
        error=Message("submission.empty", {"file": "empty.ipynb", "detail": ""}),
    )
    crashed = dataclasses.replace(
        invalid,
        submission="crash.ipynb",
        status="grader_error",
        duration_s=99.0,
        error=Message("grader.internal", {"detail": "boom"}),
    )
    records = [good, *buggy, invalid, crashed]
    return json.dumps([json_record.to_data(view(r)) for r in records])


def test_the_json_record_carries_each_failures_message_key_and_parameters() -> None:
    data = json_record.to_data(view(student_record()))
    layers = next(c for c in data["checks"] if c["id"] == "model.layers")
    assert layers["key"] == "model.layer_field" and layers["params"]["value"] == 32
    passed = next(c for c in data["checks"] if c["passed"])
    assert passed["key"] is None and passed["params"] == {}
    assert json.loads(json.dumps(data)) == data


def test_summary_counts_rates_mistakes_and_timings() -> None:
    summary = summarise(class_records())
    assert summary.total == 5
    assert dict(summary.by_status) == {"graded": 3, "invalid_submission": 1, "grader_error": 1}
    assert sorted(summary.scores) == [0.0, 1.0, 1.0, 5.0]  # the grader error is no score
    assert [b.count for b in summary.histogram] == [1, 2, 0, 0, 0, 1]
    rates = {c.id: (c.failed, c.not_run, c.counted, c.rate) for c in summary.checks}
    assert rates["model.layers"] == (2, 1, 4, 0.75)
    assert rates["fit.epochs"] == (0, 1, 4, 0.25)
    mistakes = [(m.key, m.check, m.count) for m in summary.mistakes]
    assert mistakes == [
        ("model.layer_field", "model.layers", 2),
        ("run.cells", "run.cells", 2),
        ("submission.empty", None, 1),
    ]
    assert summary.median_duration == 20.0 and summary.max_duration == 99.0


def test_summary_page_and_terminal_show_the_same_numbers() -> None:
    records = class_records()
    html = summary_page(records, "en")
    assert re.search(r'id="status-graded"><td>[^<]+</td><td class="num">3</td>', html)
    assert re.search(r'id="rate-model.layers">.*?75%', html)
    assert (
        "model.layer_field" in html and "filters=32" in html
    )  # the example, rendered from the key and parameters
    console = Console(file=io.StringIO(), width=160, color_system=None)
    console.print(summary_renderable(records, "en"))
    terminal = console.file.getvalue()  # type: ignore[attr-defined]
    for needle in (
        "75%",
        "model.layer_field",
        "filters=32",
        text("en", "summary", "mistakes"),
        "20.0 s",
        "99.0 s",
    ):
        assert needle in terminal
    ja = summary_page(records, "ja")
    assert text("ja", "summary", "check_rates") in ja and '<html lang="ja">' in ja


def test_write_summary_rebuilds_from_the_json_files_on_disk(tmp_path: Path) -> None:
    for record in class_records():
        (tmp_path / f"{Path(record['submission']).stem}.json").write_text(json.dumps(record))
    from_disk = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("*.json"))]
    written = write_summary(from_disk, "en", tmp_path)
    assert written == tmp_path / "summary.html"
    in_memory = sorted(class_records(), key=lambda r: Path(r["submission"]).stem)
    assert summarise(from_disk) == summarise(in_memory)
