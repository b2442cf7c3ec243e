"""The snapshot: which files of the project ship (contents), which names and contents are secrets
(secret_names, secret_scan, detectors), and what a dry run lists (listing)."""
