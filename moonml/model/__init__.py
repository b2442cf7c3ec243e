"""Registered models: fetching them back from the tracking backend's registry."""
