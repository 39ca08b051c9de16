"""RadCase's Django apps, one per domain."""
