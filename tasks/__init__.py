"""newsbridge pipeline stages: one module per stage, pure functions plus thin Prefect tasks."""

__version__ = "0.1.0"
