"""The command line: `assistant <command>`; one module per command group."""

from assistant.cli.commands import main

__all__ = ["main"]
