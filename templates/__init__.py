"""presskit's built-in theme, shipped as package data: Jinja templates and assets/."""
