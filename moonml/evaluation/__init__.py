"""The evaluation stage: the selected model's test-set metrics and the run's figures."""
