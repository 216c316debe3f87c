"""The lifecycle stages a run executes: each takes typed inputs and returns a typed result."""
