"""The JSON API under /api/v1 and public form capture, for programs and the company's own web forms."""
