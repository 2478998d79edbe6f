"""Reelhouse: a private-by-default personal media server."""

__version__ = "0.1.0"
