"""A minimal valid claim, shared by the ledger tests (``from _claims import BASE, claim``)."""

BASE = {
    "id": "a-workers",
    "quantity": "workers",
    "kind": "point",
    "low": "100000",
    "high": "100000",
    "ref_start": "2017",
    "ref_end": "2017",
    "published": "2017",
    "estimator": "US State Department",
    "estimator_type": "government",
    "scope": "world",
    "document": "doc-a.txt",
    "quote": "some 100,000 workers",
}


def claim(**changes):
    """``BASE`` with ``changes``."""
    return {**BASE, **changes}
