"""``python -m micrograd``: the same command line as the ``micrograd`` program."""

from micrograd.apps.cli import main

raise SystemExit(main())
