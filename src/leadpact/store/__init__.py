"""Persistence: tables, migrations, the unit of work."""
