"""The example's one app: pages that show who the proxy says you are."""
