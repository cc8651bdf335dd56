"""`python -m presskit` runs the command line."""

from presskit.command import entry

entry()
