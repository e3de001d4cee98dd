"""``python -m tests.fakestripe --port 12111``: run the fake as its own process.

Prints its URL on the first line of stdout and serves until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .server import FakeStripe


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, serve until told to stop; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m tests.fakestripe", description="Fake Stripe API server"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111, help="0 picks a free port")
    parser.add_argument("--webhook-url", default=None)
    parser.add_argument("--webhook-secret", default=None)
    parser.add_argument("--deliver", choices=["auto", "manual"], default="auto")
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    fake = FakeStripe(
        args.webhook_url, args.webhook_secret, args.deliver, host=args.host, port=args.port
    )
    fake.start()
    sys.stdout.write(f"{fake.url}\n")
    sys.stdout.write(f"webhook secret: {fake.webhook_secret}\n")
    sys.stdout.flush()
    try:
        stop.wait()
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
