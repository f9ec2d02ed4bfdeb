"""``grader pack NAME --gradescope FILE.zip``: a Gradescope autograder, ready to upload.

At the zip's root: ``setup.sh`` (run once when Gradescope builds the image: a Python 3.11+
environment in ``/opt/grader``, the grader's wheel, the dataset provisioned offline) and
``run_autograder`` (run per submission: ``grader grade --instructor --format gradescope``);
beside them the wheel, the compiled assignment with its hidden checks (``assignments/<name>/``,
no solution notebook, no example, no reference code) and, if given, the dataset's archive.
``run_autograder`` takes its root from ``$GRADER_GRADESCOPE_ROOT`` (default ``/autograder``)
and uses the ``grader`` on ``PATH`` when ``setup.sh``'s is absent, so a test can run it in a
folder laid out as Gradescope does; both scripts take the environment's folder from
``$GRADER_PREFIX`` (default ``/opt/grader``), so a test can run ``setup.sh`` with stand-ins
for ``apt-get`` and ``python3`` that record what it asks of them.
"""

from __future__ import annotations

import shlex
import zipfile
from pathlib import Path

from grader.course.assignment import Assignment
from grader.course.custom_checks import test_files
from grader.platforms.student_pack import PackError

# What grading reads from the assignment's folder; never the solution, the examples or the
# reference.
GRADED = ("assignment.toml", "expected.json", "reference_curves.json")
# A wheel holding any of these would hand out the solution: refused.
SOLUTION_PARTS = ("solution.ipynb", "reference/")
EXECUTABLE = 0o100755 << 16

SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image
# (`grader pack {name} --gradescope`).
set -euo pipefail
SOURCE="$(cd "$(dirname "$0")" && pwd)"
PREFIX="${{GRADER_PREFIX:-/opt/grader}}"
PYTHON=python3
if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    apt-get update && apt-get install -y python3.11 python3.11-venv
    PYTHON=python3.11
else
    apt-get update && apt-get install -y python3-venv
fi
"$PYTHON" -m venv "$PREFIX"
"$PREFIX"/bin/pip install "$SOURCE"/{wheel}
"$PREFIX"/bin/grader data {dataset}{data_from}
"""

RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission (`grader pack {name} --gradescope`): every check,
# hidden ones included; results.json gives each its visibility.
set -uo pipefail
ROOT="${{GRADER_GRADESCOPE_ROOT:-/autograder}}"
GRADER="${{GRADER_PREFIX:-/opt/grader}}"/bin/grader
if [ ! -x "$GRADER" ]; then GRADER="$(command -v grader)"; fi
mkdir -p "$ROOT/results"
cd "$ROOT/submission"
exec "$GRADER" grade --instructor --assignment {name} --assignments "$ROOT/source/assignments" \\
    --lang {lang} \\
    --format gradescope --out "$ROOT/grading" "$ROOT/submission"
"""


def check_wheel(wheel: Path) -> None:
    """Refuse a file that is not the grader's wheel, or a wheel that holds the solution."""
    if not (wheel.is_file() and wheel.name.startswith("grader-") and wheel.suffix == ".whl"):
        raise PackError(
            f"{wheel}: not the grader's wheel (build it with `pip wheel --no-deps . -w dist`)"
        )
    try:
        names = zipfile.ZipFile(wheel).namelist()
    except zipfile.BadZipFile:
        raise PackError(f"{wheel}: not a wheel (not a zip file)") from None
    leaked = sorted(
        n
        for n in names
        if any(n.endswith(p) or f"/{p}" in n or n.startswith(p) for p in SOLUTION_PARTS)
    )
    if leaked:
        raise PackError(
            f"{wheel} holds solution files ({', '.join(leaked[:3])}): build it from a clean "
            "checkout"
        )


def graded_files(assignment: Assignment) -> list[Path]:
    """The assignment's files grading reads, hidden custom checks included."""
    return [p for p in (assignment.folder / name for name in GRADED) if p.is_file()] + test_files(
        assignment.folder
    )


def _script(archive: zipfile.ZipFile, name: str, body: str) -> None:
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.external_attr = EXECUTABLE
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, body)


def pack_for_gradescope(
    assignment: Assignment, target: Path, wheel: Path, lang: str, data: Path | None = None
) -> Path:
    """Write the autograder zip ``target`` for ``assignment``, installing ``wheel`` (and
    provisioning from ``data``)."""
    check_wheel(wheel)
    if data is not None and not data.is_file():
        raise PackError(f"--data {data}: no such file")
    data_from = f' --from "$SOURCE"/data/{shlex.quote(data.name)}' if data is not None else ""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        _script(
            archive,
            "setup.sh",
            SETUP.format(
                name=assignment.name,
                wheel=shlex.quote(wheel.name),
                dataset=assignment.dataset,
                data_from=data_from,
            ),
        )
        _script(archive, "run_autograder", RUN.format(name=shlex.quote(assignment.name), lang=lang))
        archive.write(wheel, wheel.name)
        for path in graded_files(assignment):
            archive.write(path, f"assignments/{assignment.name}/{path.name}")
        if data is not None:
            archive.write(data, f"data/{data.name}")
    return target
