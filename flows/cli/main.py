"""The `newsbridge` command: thin over the stage functions and the flow.

One module per command or command group (flows/cli/<command>.py), each with a module-level
typer `app` added here; options shared by several commands are defined once in
flows/cli/options.py. Heavy imports (prefect, argostranslate) happen inside the commands
that need them: `newsbridge extract`, `detect` and `discover` must start fast.
"""

from __future__ import annotations

import atexit
import os
import sys

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

from flows.cli import align as cli_align  # noqa: E402
from flows.cli import demo as cli_demo  # noqa: E402
from flows.cli import detect as cli_detect  # noqa: E402
from flows.cli import discover as cli_discover  # noqa: E402
from flows.cli import export as cli_export  # noqa: E402
from flows.cli import extract as cli_extract  # noqa: E402
from flows.cli import models as cli_models  # noqa: E402
from flows.cli import review as cli_review  # noqa: E402
from flows.cli import run as cli_run  # noqa: E402
from flows.cli import serve as cli_serve  # noqa: E402
from flows.cli import translate as cli_translate  # noqa: E402

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


# One registration style: every command module has a module-level typer app (one command, or a
# named group such as `review` and `models`), importable and testable on its own.
for _commands in (cli_run, cli_demo, cli_extract, cli_detect, cli_discover, cli_translate, cli_models, cli_align, cli_export, cli_review, cli_serve):
    app.add_typer(_commands.app)


_EXIT_CODE: list[int] = []  # the code main() ends with, once it ends


def _exit_after_handlers() -> None:
    """The last exit handler: leave without the interpreter's teardown.

    By now every other exit handler has run (registered later, they run first): Prefect
    stopped its temporary server, logging flushed and closed its handlers, worker processes
    were joined. What is left is freeing a few hundred imported modules one by one, which
    took 0.7-0.8 s after a `run`: 1 % of a polite night's wall time for nothing. Only when
    main() ended with a known code (an uncaught exception keeps the normal path)."""
    if not _EXIT_CODE:
        return
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - a closed pipe: nothing left to write to
            pass
    os._exit(_EXIT_CODE[0])


def main() -> None:
    # Registered before any other exit handler exists (nothing registers one while this
    # module imports), so it runs after all of them.
    atexit.register(_exit_after_handlers)
    try:
        app()
    except SystemExit as exc:
        code = exc.code
        _EXIT_CODE.append(code if isinstance(code, int) else (0 if code is None else 1))
        raise
    _EXIT_CODE.append(0)


if __name__ == "__main__":
    main()
