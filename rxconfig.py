"""Reflex's configuration for the jobwatch web app (`jobwatch serve` runs it; see `jobwatch/webserver.py`).

The database URL comes from jobwatch's settings, so the app, the worker and the CLI share one database.
Tab state lives in memory (one backend worker without Redis): nothing of a tab, the session token included,
is written to disk, and a restart only makes the browser hydrate again from its cookie. Telemetry is off;
the sitemap plugin (on by default, and a warning when not configured) is disabled because
every page but the login forms is private. Radix Themes is configured here, as Reflex 0.10 asks.
"""

import reflex as rx

from jobwatch.config import get_settings

config = rx.Config(
    app_name="jobwatch",
    db_url=get_settings().effective_database_url,
    telemetry_enabled=False,
    state_manager_mode=rx.constants.StateManagerMode.MEMORY,
    show_built_with_reflex=False,
    plugins=[
        rx.plugins.RadixThemesPlugin(
            theme=rx.theme(accent_color="indigo", gray_color="slate", radius="medium", appearance="inherit")
        )
    ],
    disable_plugins=[rx.plugins.SitemapPlugin],
)
