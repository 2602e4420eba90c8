#!/usr/bin/python3
"""A generic gRPC client that knows nothing of Kirim: it lists a server's services through
server reflection (grpc.reflection.v1alpha) and the methods of one service.

usage: reflection_client.py HOST:PORT [SERVICE]
Stubs for the reflection proto are generated at run time from Debian's grpc-proto.
"""
import importlib
import sys
import tempfile

import grpc
from grpc_tools import protoc
from google.protobuf import descriptor_pb2


def main():
    address = sys.argv[1]
    wanted = sys.argv[2] if len(sys.argv) > 2 else None
    # The installed 'grpc' package owns the name; load generated modules beside it.
    import grpc as grpc_pkg
    pb2, pb2_grpc = load_stubs_into(grpc_pkg)
    with grpc.insecure_channel(address) as channel:
        stub = pb2_grpc.ServerReflectionStub(channel)
        requests = [pb2.ServerReflectionRequest(list_services="")]
        if wanted:
            requests.append(pb2.ServerReflectionRequest(file_containing_symbol=wanted))
        for resp in stub.ServerReflectionInfo(iter(requests), timeout=20):
            if resp.HasField("list_services_response"):
                for s in resp.list_services_response.service:
                    print("service", s.name)
            elif resp.HasField("file_descriptor_response"):
                for raw in resp.file_descriptor_response.file_descriptor_proto:
                    fd = descriptor_pb2.FileDescriptorProto.FromString(raw)
                    for svc in fd.service:
                        if f"{fd.package}.{svc.name}" == wanted:
                            for m in svc.method:
                                print("method", m.name)
            elif resp.HasField("error_response"):
                sys.exit(f"reflection error: {resp.error_response.error_message}")


def load_stubs_into(grpc_pkg):
    out = tempfile.mkdtemp(prefix="reflection-stubs-")
    rc = protoc.main([
        "protoc", "-I/usr/share/grpc-proto", f"--python_out={out}", f"--grpc_python_out={out}",
        "grpc/reflection/v1alpha/reflection.proto"])
    if rc != 0:
        sys.exit("protoc failed")
    # Generated code lives in package grpc.reflection.v1alpha: extend the installed grpc
    # package's search path so both resolve.
    grpc_pkg.__path__.append(f"{out}/grpc")
    return (importlib.import_module("grpc.reflection.v1alpha.reflection_pb2"),
            importlib.import_module("grpc.reflection.v1alpha.reflection_pb2_grpc"))


if __name__ == "__main__":
    main()
