"""Foreign client protocols, each a package that translates to the same services and the same access rules."""
