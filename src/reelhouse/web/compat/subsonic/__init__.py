"""The Subsonic (OpenSubsonic) API for music apps, over the same services and media access decision."""
