"""One module per page (or group of pages); each exposes functions returning its component."""
