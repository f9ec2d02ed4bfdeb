"""The model: layer stack and configuration, output shapes, parameter counts."""

from __future__ import annotations

from grader.checks.expected import Expected
from grader.checks.registry import check
from grader.evidence.facts import Facts
from grader.model.architecture import LINEAR, LayerSpec, describe_layer
from grader.outcome import PASSED, Outcome, failed, not_run, skipped

SOFTMAX = "softmax"


def _field_difference(found: LayerSpec, wanted: LayerSpec) -> tuple[str, object, object] | None:
    found_fields, wanted_fields = found.compared(), wanted.compared()
    for key, value in wanted_fields.items():
        if found_fields.get(key) != value:
            return key, found_fields.get(key), value
    return None


def _as_probabilities(facts: Facts, wanted: tuple[LayerSpec, ...]) -> tuple[LayerSpec, ...]:
    """The layers, the last one read as ending in softmax when it has no activation and the loss
    reads logits (``from_logits=True``) where a softmax is wanted: the same model as a softmax
    with a plain loss, written the way TensorFlow's tutorials write it."""
    assert facts.architecture is not None
    layers = facts.architecture.layers
    logits = facts.compile is not None and facts.compile.loss_settings.get("from_logits") is True
    if not logits or not layers or not wanted or facts.architecture.graph is not None:
        return layers
    last = layers[-1]
    if last.config.get("activation") != LINEAR or wanted[-1].config.get("activation") != SOFTMAX:
        return layers
    return (
        *layers[:-1],
        LayerSpec(last.class_name, last.name, {**last.config, "activation": SOFTMAX}),
    )


# The model is found by its fit: none found after a cell raised is that cell's doing.
@check("model.layers", after={"model.missing": ("run.cells",)})
def layers(facts: Facts, expected: Expected) -> Outcome:
    if facts.subclassed is not None:
        return skipped("model.subclassed", name=facts.subclassed)
    if facts.architecture is None:
        return failed("model.missing", reason=facts.architecture_error or "")
    wanted = expected.architecture.layers
    found = _as_probabilities(facts, wanted)
    for position, (have, want) in enumerate(zip(found, wanted), start=1):
        if have.class_name != want.class_name:
            return failed(
                "model.layer_class",
                position=position,
                found=describe_layer(have),
                expected=describe_layer(want),
            )
        difference = _field_difference(have, want)
        if difference is not None:
            key, value, target = difference
            if (
                have.class_name == "Conv2D"
                and key == "strides"
                and value == have.config.get("kernel_size")
                and target == [1, 1]
            ):
                return failed(
                    "model.keras1_conv",
                    position=position,
                    found=describe_layer(have),
                    expected=describe_layer(want),
                )
            return failed(
                "model.layer_field",
                position=position,
                layer=have.class_name,
                field=key,
                value=value,
                target=target,
                expected=describe_layer(want),
            )
    if len(found) > len(wanted):
        return failed(
            "model.layer_extra", position=len(wanted) + 1, found=describe_layer(found[len(wanted)])
        )
    if len(found) < len(wanted):
        return failed(
            "model.layer_missing",
            position=len(found) + 1,
            expected=describe_layer(wanted[len(found)]),
        )
    return PASSED


# A model the grader could not build or whose shapes differ, after a layer that differs; a
# different input shape is the check's own.
SHAPES_AFTER = ("model.layers",)


@check(
    "model.output_shapes",
    after={
        key: SHAPES_AFTER
        for key in (
            "model.no_model",
            "model.build_error",
            "model.output_shape",
            "model.layer_count",
        )
    },
)
def output_shapes(facts: Facts, expected: Expected) -> Outcome:
    if facts.built is None:
        return _unbuilt(facts)
    if (
        facts.architecture is not None
        and facts.architecture.input_shape != expected.architecture.input_shape
    ):
        return failed(
            "model.input_shape",
            found=facts.architecture.input_shape,
            expected=expected.architecture.input_shape,
        )
    for position, (have, want) in enumerate(
        zip(facts.built.layers, expected.built.layers), start=1
    ):
        if have.output_shape != want.output_shape:
            return failed(
                "model.output_shape",
                position=position,
                layer=have.class_name,
                found=have.output_shape,
                expected=want.output_shape,
            )
    if len(facts.built.layers) != len(expected.built.layers):
        return failed(
            "model.layer_count", found=len(facts.built.layers), expected=len(expected.built.layers)
        )
    return PASSED


@check("model.params", after=("model.layers", "model.output_shapes"))
def params(facts: Facts, expected: Expected) -> Outcome:
    if facts.built is None:
        return _unbuilt(facts)
    if facts.built.total_params == expected.built.total_params:
        return PASSED
    have = [l.params for l in facts.built.layers if l.params]
    want = [l.params for l in expected.built.layers if l.params]
    return failed(
        "model.params",
        found=f"{facts.built.total_params:,}",
        expected=f"{expected.built.total_params:,}",
        found_layers=" / ".join(f"{p:,}" for p in have),
        expected_layers=" / ".join(f"{p:,}" for p in want),
    )


def _unbuilt(facts: Facts) -> Outcome:
    if facts.subclassed is not None:
        return skipped("model.subclassed", name=facts.subclassed)
    if facts.architecture is None:
        return not_run("model.no_model")
    return failed("model.build_error", reason=facts.build_error or "")
