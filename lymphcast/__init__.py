"""lymphcast: MLD session demand forecasts and therapist staffing, as Prefect flows."""
