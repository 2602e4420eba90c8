"""One HTTP request with Python's urllib.request, for the unsubscribe endpoint test.

usage: http_request.py METHOD URL [--body TEXT] [--header "Name: value"]...

prints STATUS <code>, one HEADER <name>: <value> line per response header and BODY <hex>;
or ERROR <exception class> <text> and exits 3 when no HTTP answer came.

(The same output as tests/http/http_client.py, which this package cannot see until
tests/http/BUILD.bazel exports it.)
"""
import argparse
import sys
import urllib.error
import urllib.request


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("method")
    parser.add_argument("url")
    parser.add_argument("--body")
    parser.add_argument("--header", action="append", default=[])
    args = parser.parse_args()

    data = None if args.body is None else args.body.encode("utf-8")
    request = urllib.request.Request(args.url, data=data, method=args.method)
    for header in args.header:
        name, _, value = header.partition(":")
        request.add_header(name.strip(), value.strip())
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as e:  # 4xx and 5xx are answers too
        response = e
    except (urllib.error.URLError, OSError) as e:
        print("ERROR %s %s" % (type(getattr(e, "reason", e)).__name__, getattr(e, "reason", e)))
        return 3
    body = response.read()
    print("STATUS %d" % response.status)
    for name, value in response.headers.items():
        print("HEADER %s: %s" % (name, value))
    print("BODY %s" % body.hex())
    return 0


if __name__ == "__main__":
    sys.exit(main())
