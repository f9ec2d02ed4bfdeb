"""What crosses the boundary between the student's kernel and the grader: the names and bounds of
the files the kernel writes, what a run produced, the sentences of the kernel's refusals, the paths
it serves."""
