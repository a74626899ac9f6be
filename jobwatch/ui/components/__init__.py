"""Shared UI pieces: the page layout (`layout`) and labelled form fields (`forms`)."""
