"""grader: a pytest-style grader for Keras course notebooks.

The public face of the package; the modules behind it are listed in ARCHITECTURE.md.
"""

__version__ = "0.1.0"
