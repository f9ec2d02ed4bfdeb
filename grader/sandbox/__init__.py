"""Running student code in isolation, on three sides of a process boundary.

- The *grader side*, these modules: ``runner`` feeds a kernel the student's cells under limits,
  ``kernel_start`` starts one kernel and closes it, ``kernels`` starts kernels before their
  submission is known, ``scratch`` lays out the folder and the environment a kernel starts with,
  ``filesystem_plan`` plans what confines it, ``isolation`` probes what this machine offers and
  says which layers held, ``watchdog`` enforces limits from outside, ``fork_client``,
  ``provisioner`` and ``resident`` reach the fork server.
- The *fork-server side*, ``forkserver/``: the resident server kernels and measurers are forked
  from.
- The *kernel side*, ``kernel/``: the launcher that confines the kernel, and what runs inside the
  student's process; it only ever writes plain files.
- ``system/`` serves all three: what the operating system offers, and process trees.

Nothing from the kernel side is trusted: the verdict is computed later, outside, from the files
it wrote.
"""
