"""``python -m remitest``: the ``remitest`` command line."""

from remitest.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
