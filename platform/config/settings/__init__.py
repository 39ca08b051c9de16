"""Settings modules: `base` (shared), `development` (embedded defaults),
`production` (refuses to start without its secrets) and `test`."""
