"""Reference implementations of the course's Keras exercises.

Each exercise module exposes its settings as module constants (the grader's source of
truth) and small functions: ``prepare_data``, ``build_model``, ``compile_model``,
``train``, ``evaluate``.  ``python -m reference.notebooks`` turns each one into
``assignments/<name>/solution.ipynb``.
"""

EXERCISES: dict[str, str] = {
    "week8": "reference.week8",
    "mlp": "reference.mlp",
    "mnist-cnn": "reference.mnist_cnn",
    "cifar10": "reference.cifar10",
    "save-load": "reference.save_load",
}
