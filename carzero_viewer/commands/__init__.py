"""One module per CLI subcommand, each with ``add_parser(subparsers)`` and ``run(args) -> int``.

Command modules import heavy packages (torch, Qt, pydicom) inside ``run`` only.
"""
