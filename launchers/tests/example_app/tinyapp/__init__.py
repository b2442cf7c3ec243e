"""A tiny Hydra app that is not moonml: the launcher must ship it just the same."""
