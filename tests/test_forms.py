"""Correct code written another way earns full marks: an activation given as TensorFlow's or
Keras's function, or as a layer, is the activation of that name; a loss, an optimizer and metrics
are read in every form Keras accepts, as Keras reads them.  And the forms that only look alike
(``keras.metrics.Accuracy()``, ``from_logits=True`` after a softmax) are named.

Each form is made by real Keras, recorded as the kernel records it (``hooks._describe_object``,
``model.to_json()``) and read back as the grader reads it; ``tests/test_forms_graded.py`` grades
notebooks written in these forms end to end.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from grader.boundary.artifacts import as_json
from grader.boundary.execution import Execution
from grader.checks.compile import loss, metrics, optimizer
from grader.checks.expected import Expected
from grader.checks.fit import history
from grader.checks.model import layers
from grader.course.assignment import load_assignment
from grader.evidence.facts import Facts, FitFacts
from grader.evidence.piece_facts import compile_facts
from grader.messages import render
from grader.model.architecture import parse_architecture
from grader.model.training import BuildError, build, import_keras, measure
from grader.sandbox.kernel.hooks import _describe_object


@pytest.fixture(scope="module")
def keras() -> Any:
    return import_keras()


@pytest.fixture(scope="module")
def tf() -> Any:
    import_keras()
    import tensorflow

    return tensorflow


@pytest.fixture(scope="module")
def week8() -> Expected:
    return load_assignment("week8").expected


def _activation(keras: Any, form: Any) -> Any:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation=form)])
    return parse_architecture(model.to_json()).layers[0].config["activation"]


ACTIVATION_FORMS: list[tuple[str, Callable[[Any, Any], Any], str]] = [
    ("tf.nn.softmax", lambda tf, keras: tf.nn.softmax, "softmax"),
    ("tf.nn.relu", lambda tf, keras: tf.nn.relu, "relu"),
    ("tf.nn.log_softmax", lambda tf, keras: tf.nn.log_softmax, "log_softmax"),
    ("tf.nn.swish", lambda tf, keras: tf.nn.swish, "silu"),
    ("tf.math.sigmoid", lambda tf, keras: tf.math.sigmoid, "sigmoid"),
    ("keras.activations.relu", lambda tf, keras: keras.activations.relu, "relu"),
    ("keras.activations.softmax", lambda tf, keras: keras.activations.softmax, "softmax"),
    ("keras.layers.ReLU()", lambda tf, keras: keras.layers.ReLU(), "relu"),
    ("keras.layers.Softmax()", lambda tf, keras: keras.layers.Softmax(), "softmax"),
    ("keras.layers.ReLU(max_value=6)", lambda tf, keras: keras.layers.ReLU(max_value=6), "relu6"),
]


@pytest.mark.parametrize(
    ("form", "expected"),
    [(make, name) for _, make, name in ACTIVATION_FORMS],
    ids=[form for form, _, _ in ACTIVATION_FORMS],
)
def test_an_activation_given_as_a_function_or_layer_is_the_builtin_of_that_name(
    tf: Any, keras: Any, form: Callable[[Any, Any], Any], expected: str
) -> None:
    assert _activation(keras, form(tf, keras)) == expected


@pytest.mark.filterwarnings("ignore:The object being serialized includes a `lambda`")
def test_a_function_of_its_own_keeps_its_name_and_is_not_rebuilt(keras: Any) -> None:
    def squash(x: Any) -> Any:
        return keras.activations.sigmoid(x)

    assert _activation(keras, squash) == "squash"
    assert _activation(keras, lambda x: x) == "<lambda>"
    assert _activation(keras, keras.layers.LeakyReLU()) == "LeakyReLU"  # slope 0.3, not 0.2
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation=squash)])
    with pytest.raises(BuildError, match="its own activation 'squash'"):
        build(parse_architecture(model.to_json()))


def lecture_model(keras: Any, tf: Any, form: str) -> Any:
    """The week-8 model, its activations written in ``form``."""
    L = keras.layers
    if form == "functions":
        relu, softmax = tf.nn.relu, tf.nn.softmax
        head = [L.Dense(128, activation=relu), L.Dropout(0.25), L.Dense(10, activation=softmax)]
    elif form == "layers":
        relu = keras.activations.relu
        head = [L.Dense(128), L.ReLU(), L.Dropout(0.25), L.Dense(10), L.Softmax()]
    else:
        relu = "relu"
        head = [
            L.Dense(128),
            L.Activation(tf.nn.relu),
            L.Dropout(0.25),
            L.Dense(10),
            L.Activation(keras.activations.softmax),
        ]
    return keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            L.Conv2D(64, (3, 3), padding="same", activation=relu),
            L.MaxPooling2D((2, 2)),
            L.Conv2D(128, (3, 3), activation=relu),
            L.MaxPooling2D((2, 2)),
            L.Dropout(0.5),
            L.Flatten(),
            *head,
        ]
    )


@pytest.mark.parametrize("form", ["functions", "layers", "activation_layers"])
def test_the_lecture_model_in_each_form_passes_and_rebuilds_with_its_parameters(
    keras: Any, tf: Any, week8: Expected, form: str
) -> None:
    architecture = parse_architecture(lecture_model(keras, tf, form).to_json())
    facts = Facts(Execution("completed", (), 0.0, False), "mnist", False, architecture=architecture)
    assert layers(facts, week8).passed, render(layers(facts, week8).message, "en")
    built = measure(build(architecture))
    assert built.total_params == week8.built.total_params
    assert [l.output_shape for l in built.layers] == [l.output_shape for l in week8.built.layers]


def recorded(**compile_args: Any) -> Any:
    """The facts of a ``compile`` call with these arguments, as the kernel records it."""
    event = {name: as_json(value, _describe_object) for name, value in compile_args.items()}
    return compile_facts({"optimizer": "rmsprop", **event})


def graded(
    check: Callable[[Facts, Expected], Any], expected: Expected, model: Any = None, **compile: Any
) -> Any:
    architecture = parse_architecture(model.to_json()) if model is not None else None
    facts = Facts(
        Execution("completed", (), 0.0, False),
        "mnist",
        False,
        architecture=architecture,
        compile=recorded(**compile),
    )
    return check(facts, expected)


CCE = "categorical_crossentropy"
SETTING_FORMS: list[tuple[str, Callable[[Any], dict[str, Any]]]] = [
    ("strings", lambda k: {"optimizer": "Adam", "loss": "CategoricalCrossentropy"}),
    ("instances", lambda k: {"optimizer": k.optimizers.Adam(), "loss": k.losses.get(CCE)}),
    ("functions", lambda k: {"optimizer": "adam", "loss": k.losses.categorical_crossentropy}),
    ("positional rate", lambda k: {"optimizer": k.optimizers.Adam(0.001), "loss": CCE}),
    ("loss object", lambda k: {"optimizer": "adam", "loss": k.losses.CategoricalCrossentropy()}),
]


@pytest.mark.parametrize(
    "form", [make for _, make in SETTING_FORMS], ids=[name for name, _ in SETTING_FORMS]
)
def test_the_loss_and_optimizer_in_each_form_pass(
    keras: Any, week8: Expected, form: Callable[[Any], dict[str, Any]]
) -> None:
    for check in (loss, optimizer):
        outcome = graded(check, week8, **form(keras))
        assert outcome.passed, render(outcome.message, "en")


@pytest.mark.parametrize("rate", [0.1, 0.01, 0.3, 1e-4])
def test_a_learning_rate_stored_as_float32_is_the_rate_written(
    keras: Any, week8: Expected, rate: float
) -> None:
    sgd = dataclasses.replace(week8, optimizer="SGD", optimizer_settings={"learning_rate": rate})
    for form in (keras.optimizers.SGD(rate), keras.optimizers.SGD(learning_rate=rate)):
        assert graded(optimizer, sgd, optimizer=form, loss="categorical_crossentropy").passed
    wrong = graded(optimizer, sgd, optimizer=keras.optimizers.SGD(rate * 1.01), loss="mse")
    assert not wrong.passed and wrong.message.key == "compile.optimizer_setting"


METRIC_FORMS: list[tuple[str, Callable[[Any], Any]]] = [
    ("'accuracy'", lambda k: ["accuracy"]),
    ("'acc'", lambda k: ["acc"]),
    ("'categorical_accuracy'", lambda k: ["categorical_accuracy"]),
    ("CategoricalAccuracy()", lambda k: [k.metrics.CategoricalAccuracy()]),
    ("categorical_accuracy function", lambda k: [k.metrics.categorical_accuracy]),
    ("a dict per output", lambda k: {"dense": "accuracy"}),
    ("a tuple", lambda k: ("accuracy",)),
]


@pytest.mark.parametrize(
    "form", [make for _, make in METRIC_FORMS], ids=[name for name, _ in METRIC_FORMS]
)
def test_the_accuracy_metric_in_each_form_passes(
    keras: Any, week8: Expected, form: Callable[[Any], Any]
) -> None:
    outcome = graded(metrics, week8, loss="categorical_crossentropy", metrics=form(keras))
    assert outcome.passed, render(outcome.message, "en")


def test_exact_accuracy_is_not_the_accuracy_and_the_message_says_why(
    keras: Any, week8: Expected
) -> None:
    outcome = graded(
        metrics, week8, loss="categorical_crossentropy", metrics=[keras.metrics.Accuracy()]
    )
    assert not outcome.passed and outcome.message.key == "compile.metrics_exact"
    text = render(outcome.message, "en")
    assert "exactly" in text.found and "metrics=['accuracy']" in text.fix
    # Sparse categorical accuracy is not the accuracy of one-hot labels.
    other = graded(
        metrics, week8, loss="categorical_crossentropy", metrics=["sparse_categorical_accuracy"]
    )
    assert not other.passed and other.message.key == "compile.metrics"


@pytest.mark.parametrize(
    "keys",
    [
        ("loss", "acc", "val_loss", "val_acc"),
        ("loss", "categorical_accuracy", "val_loss", "val_categorical_accuracy"),
    ],
)
def test_history_keys_of_another_accuracy_spelling_are_the_accuracy(
    week8: Expected, keys: tuple[str, ...]
) -> None:
    fit = FitFacts(128, 20, "test", 0.0, keys, {k: [0.5] for k in keys})
    facts = Facts(
        Execution("completed", (), 0.0, False),
        "mnist",
        False,
        compile=recorded(loss="categorical_crossentropy", metrics=[keys[1]]),
        fit=fit,
    )
    assert history(facts, week8).passed
    missing = dataclasses.replace(facts, fit=dataclasses.replace(fit, history_keys=keys[:2]))
    assert history(missing, week8).message.key == "fit.history"


def test_logits_with_a_loss_that_reads_them_are_the_softmax_model(
    keras: Any, tf: Any, week8: Expected
) -> None:
    """TensorFlow's tutorials end in ``Dense(10)`` and give the loss ``from_logits=True``: the
    same model as a softmax with a plain loss.  The same loss after a softmax is named."""
    logits = lecture_model(keras, tf, "functions")
    logits.pop()
    logits.add(keras.layers.Dense(10))
    reads_logits = keras.losses.CategoricalCrossentropy(from_logits=True)
    assert graded(layers, week8, logits, loss=reads_logits).passed
    assert graded(loss, week8, logits, loss=reads_logits).passed
    assert not graded(layers, week8, logits, loss="categorical_crossentropy").passed
    softmax = lecture_model(keras, tf, "functions")
    twice = graded(loss, week8, softmax, loss=reads_logits)
    assert not twice.passed and twice.message.key == "compile.loss_logits"
    assert "from_logits=True" in render(twice.message, "ja").found


def test_the_grader_trains_with_the_loss_settings_the_student_gave(keras: Any) -> None:
    from grader.model.compile_settings import rebuilt_loss as _loss

    rebuilt = _loss(keras, "categorical_crossentropy", {"from_logits": True})
    assert isinstance(rebuilt, keras.losses.CategoricalCrossentropy)
    assert rebuilt.get_config()["from_logits"] is True
    assert _loss(keras, "mean_squared_error", {"from_logits": True}).get_config()["name"] == (
        "mean_squared_error"
    )
    assert _loss(keras, "categorical_crossentropy", {}) == "categorical_crossentropy"


def test_a_learning_rate_schedule_is_named_and_rebuilt(keras: Any, week8: Expected) -> None:
    from grader.model.compile_settings import rebuilt_optimizer

    schedule = keras.optimizers.schedules.ExponentialDecay(1.0, decay_steps=100, decay_rate=0.9)
    adadelta = dataclasses.replace(
        week8, optimizer="Adadelta", optimizer_settings={"learning_rate": 1.0}
    )
    outcome = graded(optimizer, adadelta, optimizer=keras.optimizers.Adadelta(schedule), loss=CCE)
    assert not outcome.passed
    assert "learning_rate=ExponentialDecay(initial_learning_rate=1.0, decay_steps=100" in (
        render(outcome.message, "en").found
    )
    stored = as_json(keras.optimizers.Adadelta(schedule, rho=0.9), _describe_object)
    rebuilt = rebuilt_optimizer(keras, "Adadelta", stored)
    rate = rebuilt.get_config()["learning_rate"]
    assert rate["class_name"] == "ExponentialDecay" and rate["config"]["decay_rate"] == 0.9
    assert abs(rebuilt.get_config()["rho"] - 0.9) < 1e-6
