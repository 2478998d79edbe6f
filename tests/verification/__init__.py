"""Verification suite: fuzzing, hostile input, crash safety, privacy, supply chain, load and hostile media."""
