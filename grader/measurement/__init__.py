"""The grader's own measurement of the student's model: where it runs (a measurer forked from the
fork server), each at most once a grading, remembered on disk, started early while later cells run.
"""
