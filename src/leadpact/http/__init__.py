"""The HTTP edge that the JSON API and the web pages share: request dependencies, the error table, middleware."""
