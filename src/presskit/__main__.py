"""`python -m presskit` runs the command line."""

from presskit.cli import main

raise SystemExit(main())
