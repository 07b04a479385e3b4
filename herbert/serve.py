"""Serve the app with waitress, which reads every request in full before a worker thread sees it.

Why waitress (docs/design/availability.md): its single I/O thread buffers each request (headers and
body) on its own, and only a complete request is handed to one of the worker threads. A client that
trickles its headers or body a byte at a time therefore holds a connection, never a thread, so eight
(or eighty) slow clients cannot stop a probe from being answered. gunicorn's threaded worker hands the
socket to a thread first, so the same slow clients hold every thread.

Settings here:
- max_request_body_size: the largest body any route accepts (an import package plus its form);
  Flask still applies the per-route limits (12 MB everywhere else).
- inbuf_overflow equal to it: request bodies stay in memory and are never spooled to a temporary file
  (an upload is personal data). Worst case memory is connections × body size; production runs behind a
  reverse proxy that limits both (see the docs note).
- ident "": no Server header (no version banner).
- connection_limit and channel_timeout: room for many idle or slow connections, closed when silent.

Run: python -m herbert.serve --host 127.0.0.1 --port 5000  (what `make run` does)
"""

import argparse

from waitress import serve

from herbert import create_app
from herbert.handover.transfer.views import IMPORT_REQUEST_BYTES

THREADS = 8
CONNECTION_LIMIT = 500
CHANNEL_TIMEOUT_SECONDS = 60


def server_settings(host: str, port: int) -> dict:
    """waitress's adjustments for this app (also used by the tests that start it)."""
    return {
        "host": host,
        "port": port,
        "threads": THREADS,
        "ident": "",
        "max_request_body_size": IMPORT_REQUEST_BYTES,
        "inbuf_overflow": IMPORT_REQUEST_BYTES,
        "connection_limit": CONNECTION_LIMIT,
        "channel_timeout": CHANNEL_TIMEOUT_SECONDS,
        "clear_untrusted_proxy_headers": True,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the Herbert Protocol app with waitress.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    serve(create_app(), **server_settings(args.host, args.port))


if __name__ == "__main__":
    main()
