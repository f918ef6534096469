"""`python -m flows.cli`: the `newsbridge` command."""

from flows.cli.main import main

main()
