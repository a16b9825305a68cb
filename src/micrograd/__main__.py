"""``python -m micrograd``: the same command line as the ``micrograd`` program."""

from micrograd.cli import main

raise SystemExit(main())
