"""Shared sources of truth for the kit: configuration, contract, rubric, and
the helper code every notebook carries in its setup cell."""
