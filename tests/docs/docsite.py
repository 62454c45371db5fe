"""The built docs site for the tests: where it is, and a local HTTP server for it on 127.0.0.1."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import threading

import pytest
from paths import ROOT

SITE = ROOT / "docs" / "_build" / "html"
BUILD = "python -m sphinx -W --keep-going -b html docs docs/_build/html"


def require_site():
    """The built site's folder; skips without it (fails under CI, which builds it before the tests)."""
    if not (SITE / "index.html").is_file():
        message = f"the docs site is not built: {SITE} (build it with `{BUILD}`)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return SITE


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(folder):
    """Serve ``folder`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
