"""Both sides: what the operating system offers the sandbox, and process trees read and stopped."""
