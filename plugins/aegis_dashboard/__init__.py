"""The AegisMatrix dashboard: a FastAPI app served by the Airflow api-server (see aegis_plugin)."""
