"""SDK v1 (azureml-core): the run configuration, the dry run that writes it, the submission."""
