"""The example Django project that uses ``remote_identity_django``."""
