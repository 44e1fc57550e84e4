"""moto's server, handling one request at a time.

moto's backends hold no locks, so on its threaded server two concurrent conditional writes to
one DynamoDB item can both pass their condition (seen: two dialer runs both claiming a row).
Real DynamoDB applies the writes to an item one after the other; handling requests one at a
time restores that, and on loopback every request is short. Each connection still has its own
thread, so HTTP/1.1 keep-alive works as with `moto_server`.

Usage: python moto_serial.py -H 127.0.0.1 -p PORT
"""

import argparse
import os
import threading

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, required=True)
    args = parser.parse_args()
    # moto builds some URLs (SQS queue URLs, for one) from this port.
    os.environ.setdefault("MOTO_PORT", str(args.port))

    app = DomainDispatcherApplication(create_backend_app)
    one_at_a_time = threading.Lock()

    def serialized(environ, start_response):
        with one_at_a_time:
            # The whole body is produced under the lock; moto builds responses eagerly anyway.
            return list(app(environ, start_response))

    run_simple(args.host, args.port, serialized, threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
