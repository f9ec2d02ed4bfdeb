"""The instructors' check API at its public path: ``from grader.assertions import assert_shape,
fail``.

Defined in ``grader.course.assertions``, beside the rest of what an assignment is made of.
"""

from grader.course.assertions import *  # noqa: F403
from grader.course.assertions import __all__  # noqa: F401
