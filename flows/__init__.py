"""Prefect flows: thin wrappers around the forecasting library."""
