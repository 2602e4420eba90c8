"""Kirim's Python client: the stubs `clients/generate` writes, and a few helpers.

    import kirim_client
    from kirim_client import mail_service_pb2 as mail

    with kirim_client.Client("127.0.0.1:50051", api_key=os.environ["KIRIM_API_KEY"]) as kirim:
        resp = kirim.mail.SendEmail(mail.SendEmailRequest(
            **{"from": "shop@example.com"}, to=["ana@example.net"],
            subject="Hello", text_body="It works"), timeout=10)
        print(resp.id)

The generated modules (kirim.v1, google.rpc, grpc.health.v1) live in `_generated/` beside this
file, or in the directory $KIRIM_CLIENT_GENERATED names; `clients/generate python [DIR]` writes
them. Needs Debian's python3-grpcio and python3-protobuf.
"""
import collections
import importlib
import os
import sys

import grpc

GENERATED_DIR = os.environ.get("KIRIM_CLIENT_GENERATED") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "_generated")


def _add_generated_to_path(directory):
    if not os.path.isfile(os.path.join(directory, "kirim", "v1", "mail_service_pb2.py")):
        raise ImportError(f"kirim_client: no generated code in {directory}: run clients/generate")
    if directory not in sys.path:
        sys.path.insert(0, directory)
    # kirim/ and google/rpc/ are namespace packages found on sys.path; grpc/health/v1 has to be
    # grafted onto the installed grpc package, which owns the name "grpc".
    grpc_part = os.path.join(directory, "grpc")
    if grpc_part not in grpc.__path__:
        grpc.__path__.append(grpc_part)


_add_generated_to_path(GENERATED_DIR)

message_pb2 = importlib.import_module("kirim.v1.message_pb2")
mail_service_pb2 = importlib.import_module("kirim.v1.mail_service_pb2")
mail_service_pb2_grpc = importlib.import_module("kirim.v1.mail_service_pb2_grpc")
admin_service_pb2 = importlib.import_module("kirim.v1.admin_service_pb2")
admin_service_pb2_grpc = importlib.import_module("kirim.v1.admin_service_pb2_grpc")
domain_service_pb2 = importlib.import_module("kirim.v1.domain_service_pb2")
domain_service_pb2_grpc = importlib.import_module("kirim.v1.domain_service_pb2_grpc")
status_pb2 = importlib.import_module("google.rpc.status_pb2")
error_details_pb2 = importlib.import_module("google.rpc.error_details_pb2")
health_pb2 = importlib.import_module("grpc.health.v1.health_pb2")
health_pb2_grpc = importlib.import_module("grpc.health.v1.health_pb2_grpc")


class _CallDetails(
        collections.namedtuple("_CallDetails", ("method", "timeout", "metadata", "credentials",
                                                "wait_for_ready", "compression")),
        grpc.ClientCallDetails):
    pass


class _BearerKey(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                 grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds "authorization: Bearer <key>" to every call (works on plaintext channels too)."""

    def __init__(self, key):
        self._header = ("authorization", f"Bearer {key}")

    def _details(self, d):
        metadata = list(d.metadata or []) + [self._header]
        return _CallDetails(d.method, d.timeout, metadata, d.credentials,
                            getattr(d, "wait_for_ready", None), getattr(d, "compression", None))

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, requests):
        return continuation(self._details(details), requests)

    def intercept_stream_stream(self, continuation, details, requests):
        return continuation(self._details(details), requests)


class Client:
    """A channel to kirimd with a stub per service: mail, admin, domains, health.

    `credentials`: grpc.ssl_channel_credentials(...) for a kirimd with TLS; plaintext without.
    """

    def __init__(self, address, api_key=None, credentials=None, options=None):
        if credentials is None:
            self.channel = grpc.insecure_channel(address, options=options)
        else:
            self.channel = grpc.secure_channel(address, credentials, options=options)
        channel = self.channel
        if api_key:
            channel = grpc.intercept_channel(channel, _BearerKey(api_key))
        self.mail = mail_service_pb2_grpc.MailServiceStub(channel)
        self.admin = admin_service_pb2_grpc.AdminServiceStub(channel)
        self.domains = domain_service_pb2_grpc.DomainServiceStub(channel)
        self.health = health_pb2_grpc.HealthStub(channel)

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# google.rpc detail messages this client can unpack from a status.
_DETAIL_TYPES = {
    m.DESCRIPTOR.full_name: m
    for m in (error_details_pb2.BadRequest, error_details_pb2.RetryInfo,
              error_details_pb2.QuotaFailure, error_details_pb2.ErrorInfo,
              error_details_pb2.PreconditionFailure, error_details_pb2.ResourceInfo)
}


def status_details(error):
    """The google.rpc.Status a grpc.RpcError carries in grpc-status-details-bin, or None."""
    for key, value in (error.trailing_metadata() or ()):
        if key == "grpc-status-details-bin":
            return status_pb2.Status.FromString(value)
    return None


def unpack_details(status):
    """The typed messages (BadRequest, RetryInfo, ...) of a google.rpc.Status."""
    out = []
    for any_msg in status.details:
        cls = _DETAIL_TYPES.get(any_msg.TypeName())
        if cls is not None:
            detail = cls()
            any_msg.Unpack(detail)
            out.append(detail)
    return out


def bad_request_fields(error):
    """The field paths of every google.rpc.BadRequest violation a grpc.RpcError carries."""
    status = status_details(error)
    if status is None:
        return []
    return [v.field for d in unpack_details(status)
            if isinstance(d, error_details_pb2.BadRequest) for v in d.field_violations]
