"""The evidence: the files the student's kernel wrote, read as plain data, and the facts the checks
look at, computed from them in the grader's process (figures, alignment, saved models reloaded,
notes)."""
