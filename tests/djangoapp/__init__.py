"""A tiny URLconf and views for the adapter's tests."""
