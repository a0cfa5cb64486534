"""The benchmark is run on demand (``python tests/bench/run.py``), never collected by pytest."""

collect_ignore_glob = ["*.py"]
