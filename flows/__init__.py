"""newsbridge Prefect flows and the `newsbridge` command line."""
