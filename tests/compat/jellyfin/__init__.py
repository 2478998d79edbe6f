"""The Jellyfin-compatible API, driven with Jellyfin's client libraries and raw requests."""
