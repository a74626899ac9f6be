"""Reflex states: `AuthState` (the base: session cookie and server-side check) and one substate per page."""
