"""``python -m tests.localsite``: serve the local site until Ctrl-C or SIGTERM.

Prints one ``<outlet name> <base URL>/`` line per outlet, then the matching outlets TOML,
on stdout (``pressclips demo`` reads the first lines); the "Serving" notice goes to stderr.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time

from . import LocalSite
from . import __doc__ as PACKAGE_DOC


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.localsite", description=PACKAGE_DOC.splitlines()[0])
    parser.add_argument("--outlets", type=int, default=2)
    parser.add_argument("--port", type=int, default=0, help="first port (outlet i gets port+i); 0 = any free port")
    parser.add_argument("--pages-per-outlet", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.03, help="seconds added to each article response")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    site = LocalSite(args.outlets, pages_per_outlet=args.pages_per_outlet, seed=args.seed,
                     article_delay=args.delay, port=args.port, verbose=args.verbose)
    try:
        site.start()
    except OSError as exc:  # a fixed port taken: one line (``pressclips demo`` shows it), no traceback
        site.stop()
        print(f"cannot serve on 127.0.0.1 from port {args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it as cleanly as Ctrl-C
    # Python leaves SIGINT ignored when the parent started us with it ignored (as a test run or
    # a shell's background job may): Ctrl-C must stop the server whatever we inherited.
    signal.signal(signal.SIGINT, _interrupt)
    try:
        for outlet in site.outlets:
            print(f"{outlet.name} {outlet.base_url}/", flush=True)
        print("# outlets.toml\n" + site.outlets_toml(), flush=True)
        print("Serving; press Ctrl-C to stop.", file=sys.stderr, flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
