"""The HTTP side: the JSON API under /api/v1, public form capture, and the app that serves the web UI."""
