"""Start, reach and stop the real processes of the end-to-end tests."""
