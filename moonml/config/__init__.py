"""The config stage: the typed schema of every group, composing it outside `python -m moonml`,
and the checks that refuse a bad config before anything runs."""
