"""AegisMatrix: options analytics for NIFTY 50 weekly options.

The library holds all logic; `dags/` and the `aegis` CLI are thin callers of it.
Nothing here imports Airflow.
"""

__version__ = "0.1.0"
