"""Tests of the client APIs (Jellyfin, Subsonic), each driven by its clients over a real server."""
