"""The agreement's semantics in pure Python: no database, no web, no clock."""
