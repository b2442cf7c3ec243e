"""The search stage: the grid search, the shared-forest search, the processes it runs in, and
the lifeline that ends those processes with moonml."""
