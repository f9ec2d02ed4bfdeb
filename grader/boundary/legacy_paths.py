"""What the kernel serves for notebooks written for Keras 2 or for Colab, by name.

Shared by the kernel side that serves them (``sandbox/legacy.py``) and the grader side
that turns what was served into notes (``facts.py``, ``engine.py``): only names found
here ever reach a report, whatever the kernel's evidence says.
"""

from __future__ import annotations

import re

# Keras 2 module paths that Keras 3 removed, and the module that has their contents today.
KERAS2_MODULES = {
    "utils.np_utils": "utils",
    "layers.core": "layers",
    "layers.convolutional": "layers",
    "layers.pooling": "layers",
    "layers.normalization": "layers",
    "layers.recurrent": "layers",
    "layers.embeddings": "layers",
    "layers.merge": "layers",
    "layers.advanced_activations": "layers",
    "layers.noise": "layers",
}
KERAS_ROOTS = ("keras", "tensorflow.keras")
LEGACY = {
    f"{root}.{old}": f"{root}.{new}" for root in KERAS_ROOTS for old, new in KERAS2_MODULES.items()
}
# What a package name in ``pip install`` may look like to be recorded, and named in a note.
PACKAGE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,79}")
# An assignment's ``[compat]`` switches, each on unless it says otherwise: the kernel then
# serves the Keras 2 paths, the Colab stand-in, and the old APIs of ``legacy_apis``
# (``KernelSettings.compat``).
SWITCHES = ("keras2_paths", "colab", "legacy_apis")
# Colab's own calls, which do nothing while grading.
COLAB_CALLS = (
    "drive.mount",
    "drive.flush_and_unmount",
    "files.upload",
    "files.download",
    "output.clear",
    "auth.authenticate_user",
)
