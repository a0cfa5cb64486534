"""Bridges to other scanners, run in-process and merged into one report."""
