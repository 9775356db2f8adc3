"""Performance benchmark of lync.hybrid against lab hosts: ``python -m tests.bench.bench``."""
