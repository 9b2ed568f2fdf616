"""lymphcast."""
