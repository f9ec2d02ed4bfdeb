"""The old APIs the kernel maps for code copied from older tutorials (Keras 1 and 2, scikit-learn
before 0.23), by name, with the spelling each is today.

Shared by the kernel side that maps them (``sandbox/kernel/legacy_apis.py``) and the grader side
that turns what was mapped into notes (``evidence/compat_notes.py``) and a refused call into a hint
(``evidence/hints.py``): only names found here reach a report, whatever the kernel's evidence says.
"""

from __future__ import annotations

# The ``[compat]`` switch that turns the mapping off (``legacy_paths.SWITCHES``).
SWITCH = "legacy_apis"
# Each API the kernel maps: its name in the kernel's evidence -> (as the notebook wrote it, as it
# is written today). Only where the old meaning is certain.
LEGACY_APIS = {
    "np_utils": ("keras.utils.np_utils.to_categorical", "keras.utils.to_categorical"),
    "predict_classes": ("model.predict_classes(x)", "np.argmax(model.predict(x), axis=-1)"),
    "predict_proba": ("model.predict_proba(x)", "model.predict(x)"),
    "lr": ("lr=", "learning_rate="),
    "set_image_dim_ordering": (
        "keras.backend.set_image_dim_ordering('tf')",
        "keras.backend.set_image_data_format('channels_last')",
    ),
    "set_image_dim_ordering_th": (
        "keras.backend.set_image_dim_ordering('th')",
        "keras.backend.set_image_data_format('channels_first')",
    ),
    "image_dim_ordering": (
        "keras.backend.image_dim_ordering()",
        "keras.backend.image_data_format()",
    ),
    "nb_classes": ("to_categorical(y, nb_classes=...)", "to_categorical(y, num_classes=...)"),
    "nb_epoch": ("fit(..., nb_epoch=...)", "fit(..., epochs=...)"),
    "border_mode": ("border_mode=", "padding="),
    "output_dim": ("output_dim=", "units="),
    "init": ("init=", "kernel_initializer="),
    "subsample": ("subsample=", "strides="),
    "nb_filter": ("nb_filter=", "filters="),
    "convolution2d_rows_cols": ("Convolution2D(32, 3, 3)", "Conv2D(32, (3, 3))"),
    "hdf5_weights": ("model.save_weights('weights.h5')", "model.save_weights('model.weights.h5')"),
    "hdf5_checkpoint": ("ModelCheckpoint('best.hdf5')", "ModelCheckpoint('best.keras')"),
    "sklearn_joblib": ("sklearn.externals.joblib", "joblib"),
}
# Keras 1 argument names of a layer, and Keras's name today; a layer is mapped only where it takes
# the new name and not the old (``Embedding``'s own ``output_dim`` stays).
LAYER_ARGUMENTS = {
    "border_mode": "padding",
    "output_dim": "units",
    "init": "kernel_initializer",
    "subsample": "strides",
    "nb_filter": "filters",
}
# Modules that old scikit-learn had, and the module that is the same thing today.
LEGACY_MODULES = {"sklearn.externals.joblib": "joblib"}
# What the kernel raises where a call gives an old name and its new one both: which one was meant is
# not certain.
TWICE_MESSAGE = (
    "[grader] {call}() was given both `{old}` (older Keras) and `{new}`: keep `{new}` only"
)
