"""The settings of bench/pages.py's server: Atelier's own, with a hello-world URL beside it."""

from atelier.settings import *  # noqa: F403

ROOT_URLCONF = "pages_urls"
