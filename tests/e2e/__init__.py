"""End-to-end tests: real proxies, real servers, PostgreSQL, on loopback (scripts/test-e2e)."""
