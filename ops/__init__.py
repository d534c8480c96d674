"""Operator commands that talk to the live tenant and account: verify and adopt."""
