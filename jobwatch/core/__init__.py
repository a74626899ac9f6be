"""The pure core: normalized postings, text folding and tokens, alert filters, matching, digest building.

Nothing in this package imports reflex, huey, httpx, sqlmodel or resend (tests/core/test_purity.py checks).
"""
