"""A Jellyfin-compatible API for Jellyfin's apps, on Reelhouse's services and its one media access decision."""
