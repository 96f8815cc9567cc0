"""``python -m listprep``: the command-line interface."""

from listprep.cli import main

main()
