"""`diemcau bench ...`: each figure an issue names, measured against the naive way in the
same run and printed as JSON (``cli`` is the command; ``harness`` runs a controller in its
own process, so the benchmark's load does not share its event loop)."""
