"""Rendering a ``Record``: rich renderables for the terminal, JSON for machines."""
