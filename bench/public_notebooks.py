"""How many real public MNIST notebooks end at an import, before and after issue 15.

    PYTHONPATH=. python bench/public_notebooks.py FOLDER [--download] [--jobs 2] [--assignment
    week8]

FOLDER holds the notebooks and scripts listed in ``bench/public_notebooks.toml`` (each named
by repository, commit and path; only the list is kept here). ``--download`` fetches them
from raw.githubusercontent.com at those commits (a machine with the internet). Each file is
graded twice by ``grader grade`` against a copy of the assignment:

- after: the assignment as shipped (Keras 2 paths served, the Colab stand-in, the
  scientific stack in the kernel);
- before (simulated): ``[compat] keras2_paths = false`` and ``colab = false``, and a first
  cell that makes the student's own ``import`` of scikit-learn, pandas, seaborn or
  scikit-image fail as it did when the kernel lacked them (imports made by Keras or
  Matplotlib themselves are left alone).

A notebook "ends at an import" when a cell of its own raised ModuleNotFoundError or
ImportError. Prints one line per file (its first import error in each run, its score), then
the two counts.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "bench" / "public_notebooks.toml"
IMPORT_ERROR = re.compile(r"^(ModuleNotFoundError|ImportError)\b")
# What the kernel lacked before issue 15 (the modules students import for a confusion matrix,
# a train/test split or a history table).
MISSING_BEFORE = ("sklearn", "pandas", "seaborn", "skimage")
BEFORE_CELL = f'''import importlib.abc, sys
class _Missing(importlib.abc.MetaPathFinder):
    """The kernel before issue 15: no {", ".join(MISSING_BEFORE)} for the notebook's own imports."""
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] not in {MISSING_BEFORE!r}:
            return None
        frame = sys._getframe(1)
        while frame is not None and frame.f_code.co_filename.startswith("<frozen"):
            frame = frame.f_back
        filename = frame.f_code.co_filename if frame is not None else ""
        if "ipykernel" in filename or filename.startswith("<ipython"):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _Missing())
del _Missing'''


def sources() -> list[dict[str, str]]:
    return list(tomllib.loads(SOURCES.read_text(encoding="utf-8"))["source"])


def download(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for source in sources():
        path = urllib.request.quote(source["path"])
        url = f"https://raw.githubusercontent.com/{source['repo']}/{source['commit']}/{path}"
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 - a fixed https host
            (folder / source["file"]).write_bytes(response.read())


def _with_first_cell(path: Path, target: Path) -> Path:
    """A copy of ``path`` whose first cell is ``BEFORE_CELL``."""
    if path.suffix == ".py":
        target.write_text(
            f"# %%\n{BEFORE_CELL}\n\n# %%\n{path.read_text(encoding='utf-8')}", encoding="utf-8"
        )
        return target
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cell = {
        "cell_type": "code",
        "metadata": {},
        "execution_count": None,
        "outputs": [],
        "source": BEFORE_CELL,
    }
    if notebook.get("nbformat", 4) < 4:  # nbformat 3 keeps its cells in worksheets
        notebook["worksheets"][0]["cells"].insert(
            0, {**cell, "input": BEFORE_CELL, "language": "python"}
        )
    else:
        notebook["cells"].insert(0, cell)
    target.write_text(json.dumps(notebook), encoding="utf-8")
    return target


def _assignment(name: str, folder: Path, before: bool) -> Path:
    """A copy of the built-in assignment ``name`` (with ``[compat]`` off for ``before``), in
    ``folder``."""
    copy = folder / name
    shutil.copytree(
        ROOT / "assignments" / name,
        copy,
        ignore=shutil.ignore_patterns("examples", "*.ipynb"),
    )
    if before:
        toml = copy / "assignment.toml"
        toml.write_text(
            toml.read_text(encoding="utf-8") + "\n[compat]\nkeras2_paths = false\ncolab = false\n",
            encoding="utf-8",
        )
    (folder.parent / "reference").mkdir(exist_ok=True)
    return folder


def grade(
    files: list[Path], assignment: str, before: bool, scratch: Path, jobs: int
) -> dict[str, dict]:
    run = scratch / ("before" if before else "after")
    assignments = _assignment(assignment, run / "assignments", before)
    if before:
        (run / "in").mkdir()
        files = [_with_first_cell(f, run / "in" / f.name) for f in files]
    out = run / "out"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "grade",
            "--assignment",
            assignment,
            "--assignments",
            str(assignments),
            "--lang",
            "en",
            "--jobs",
            str(jobs),
            "--cell-timeout",
            "120",
            "--total-timeout",
            "600",
            "--out",
            str(out),
            *map(str, files),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in out.glob("*.json")}


def first_import_error(record: dict | None) -> str | None:
    for cell in (record or {}).get("cells", []):
        if cell.get("error") and IMPORT_ERROR.match(str(cell["error"])):
            return f"cell {cell['cell']}: {str(cell['error'])[:70]}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument(
        "--download", action="store_true", help="fetch the listed files into FOLDER first"
    )
    parser.add_argument("--assignment", default="week8")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    if args.download:
        download(args.folder)
    listed = sources()
    files = [args.folder / s["file"] for s in listed if (args.folder / s["file"]).is_file()]
    if len(files) < len(listed):
        print(
            f"{len(listed) - len(files)} listed file(s) missing from {args.folder}", file=sys.stderr
        )
    with tempfile.TemporaryDirectory(prefix="grader-public-") as scratch:
        runs = {
            before: grade(files, args.assignment, before, Path(scratch), args.jobs)
            for before in (True, False)
        }
    ended = {before: 0 for before in runs}
    for path in files:
        line = []
        for before in (True, False):
            record = runs[before].get(path.stem)
            error = first_import_error(record)
            ended[before] += error is not None
            score = f"{record['score']:g}/{record['max_score']:g}" if record else "no record"
            line.append(f"{'before' if before else 'after'}: {score} {error or 'no import error'}")
        print(f"{path.name}\n    " + "\n    ".join(line))
    print(
        f"\n{len(files)} notebooks and scripts graded as {args.assignment}; ended at an import: "
        f"before {ended[True]}, after {ended[False]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
