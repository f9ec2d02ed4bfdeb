"""Fork-server side: the resident server kernels and measurers are forked from (Linux)."""
