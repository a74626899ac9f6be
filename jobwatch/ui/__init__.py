"""The Reflex web UI: `routes` (URLs), `state/` (one base auth state, one substate per page), `pages/`,
`components/` (the shared layout and form pieces). Pages and states reach data only through services."""
