"""One function per command: each takes a typed request and returns an exit code."""
