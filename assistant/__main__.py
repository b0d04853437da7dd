"""`python -m assistant` runs the command-line interface."""

from assistant.cli.commands import main

raise SystemExit(main())
