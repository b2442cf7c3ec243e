"""The Hydra shell: the `@hydra.main` app, its callbacks, and the process around a run.

Only this package reads Hydra's runtime state (HydraConfig); it passes what the pipeline needs
to `moonml.train.train`, a plain function.
"""
