"""Django adapter for ``remote_identity``."""
