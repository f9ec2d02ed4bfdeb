"""Checks: small pure functions from ``Facts`` and ``Expected`` to an ``Outcome``.

A check never prints, renders or touches files.  A failed outcome carries a ``Message``:
a catalog key plus parameters, rendered later in the student's language as what was
expected, what was found and how to fix it (see ``grader.messages``).  Each module
registers its checks (``registry.check``); ``catalog.load_all`` is every one of them.
"""
