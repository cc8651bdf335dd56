"""`python -m presskit` runs the command line."""

from presskit.cli import entry

entry()
