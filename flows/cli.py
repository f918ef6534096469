"""The `newsbridge` command: thin over the stage functions and the flow.

Each area registers its commands from its own module (flows/cli_<area>.py) so that
heavy imports (prefect, argostranslate) happen inside the commands that need them:
`newsbridge extract` and `newsbridge detect` must start fast.
"""

from __future__ import annotations

import os

# An offline tool: Prefect's embedded server must not try to phone home (on a closed
# network that is an error in the log and a race on its SQLite file at start-up).
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# `run` and `demo` start Prefect's temporary server when no PREFECT_API_URL is set. Its
# first start from a fresh install (cold bytecode, database migrations) took longer than
# Prefect's 20 s default on a busy 2-core machine, and `make demo` on a fresh clone
# failed with "Timed out while attempting to connect to ephemeral Prefect API server".
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")

import typer  # noqa: E402

from flows import (  # noqa: E402
    cli_align,
    cli_demo,
    cli_detect,
    cli_discover,
    cli_extract,
    cli_review,
    cli_run,
    cli_serve,
    cli_translate,
)

app = typer.Typer(
    name="newsbridge",
    help="Crawl vi/zh/en news, extract, detect, translate offline (Argos) and store aligned text with provenance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Crawl vi/zh/en news, extract, detect, translate offline (Argos) and store aligned text with provenance."""
    # An explicit callback keeps `newsbridge <command>` a group even while only one
    # command is registered (typer would otherwise make that command the root).


for _area in (cli_run, cli_demo, cli_extract, cli_detect, cli_discover, cli_translate, cli_align, cli_review, cli_serve):
    _area.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
