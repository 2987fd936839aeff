"""gunicorn's configuration: `gunicorn -c gunicorn.conf.py wsgi:app` (gunicorn also reads this
file by itself when started from the project's folder).

gunicorn writes `Server: gunicorn` on every response and has no setting to leave it out; the
banner only tells an attacker what to look up. The header line is written by
`gunicorn.http.wsgi.Response.default_headers`, so this file, which gunicorn runs in the master
before any worker forks, drops that one line from it. tests/hardening/test_server_banner.py
starts a real gunicorn and reads the headers, so an upgrade that moves the line fails there.
"""

from gunicorn.http import wsgi

_default_headers = wsgi.Response.default_headers


def _headers_without_server_banner(response: wsgi.Response) -> list[str]:
    return [line for line in _default_headers(response) if not line.startswith("Server:")]


wsgi.Response.default_headers = _headers_without_server_banner
