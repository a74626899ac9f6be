"""jobwatch: watches company job boards and tells each user, once, about new postings that fit their alerts."""

__version__ = "0.1.0"
