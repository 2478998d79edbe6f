"""scanner layer."""
