"""Shared by the tests of remote_identity.assertions: a loopback key server and minting."""
