"""WSGI entry point for gunicorn: `gunicorn hub.wsgi:app`."""

from hub import create_app

app = create_app()
