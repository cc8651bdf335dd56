"""The `presskit` command as installed (and `python -m presskit`): the collector's thresholds
set before presskit's modules are imported, then the command line (presskit.cli).

Importing presskit makes tens of thousands of objects that live as long as the process (its
classes, functions and templates' code); at Python's default thresholds the collector went
over them about eighty times while they were made, 7 ms of every command's start (a build
after an edit waits for it). A build raises the thresholds anyway (see cli.main)."""

import gc


def entry() -> None:
    gc.set_threshold(100_000, 50, 1000)
    from presskit.cli import entry as command

    command()
