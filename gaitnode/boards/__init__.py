"""boards.yaml: load, validate, generate board headers, check budgets."""
