"""Email: rendering digests from Jinja templates, and the senders (local outbox, Resend)."""
