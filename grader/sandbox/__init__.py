"""Running student code in isolation.

Two sides live here.  The *kernel side* (``boot``, ``hooks``, ``recorder``, ``offline``)
is imported inside the student's process and only ever writes plain files.  The *grader
side* (``submission``, ``runner``) starts that process, feeds it the student's cells under
limits, and reports what happened.  Nothing from the kernel side is trusted: the verdict
is computed later, outside, from the files it wrote.
"""
