"""Kernel side: what runs inside the student's confined kernel process, and the launcher that
confines it."""
