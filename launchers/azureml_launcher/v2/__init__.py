"""SDK v2 (azure-ai-ml): the MLClient connection, the command job (and its dry run), the submission."""
