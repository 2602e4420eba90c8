"""Test client for HttpServer: one request with Python's urllib.request, the answer printed in
a form the C++ test reads line by line.

usage: http_client.py METHOD URL [--body-file PATH] [--chunked] [--header "Name: value"]...

prints
  STATUS <code>
  HEADER <name>: <value>        one line per response header
  BODY <hex of the body>
or, when no HTTP answer came,
  ERROR <exception class> <text>   (exit status 3)
"""
import argparse
import sys
import urllib.error
import urllib.request


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("method")
    parser.add_argument("url")
    parser.add_argument("--body-file")
    parser.add_argument("--chunked", action="store_true",
                        help="send the body with Transfer-Encoding: chunked")
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()

    data = None
    if args.body_file is not None:
        with open(args.body_file, "rb") as f:
            data = f.read()
        if args.chunked:
            whole = data
            # An iterable without a length makes urllib send chunks.
            data = (whole[i:i + 4096] for i in range(0, len(whole), 4096))
    request = urllib.request.Request(args.url, data=data, method=args.method)
    for header in args.header:
        name, _, value = header.partition(":")
        request.add_header(name.strip(), value.strip())

    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as e:  # 4xx and 5xx: still an answer
        response = e
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        print("ERROR %s %s" % (type(reason).__name__, reason))
        return 3
    body = response.read()
    print("STATUS %d" % response.status)
    for name, value in response.headers.items():
        print("HEADER %s: %s" % (name, value))
    print("BODY %s" % body.hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
