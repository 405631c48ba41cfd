"""`diemcau`, the command line (``controller.cli.root`` builds it; commands live by subject:
``registry``, ``provisioning``; ``common`` is what they share)."""

from __future__ import annotations


def main() -> None:
    """The console script's entry point (imports the command tree only when run)."""
    from controller.cli.root import main as run_cli

    run_cli()
