"""Protobuf and gRPC C++ code generation with Debian's protoc (Bazel 4 has no cc_grpc_library)."""

def _outs(srcs, grpc):
    outs = []
    for s in srcs:
        base = s[:-len(".proto")]
        outs += [base + ".pb.h", base + ".pb.cc"]
        if grpc:
            outs += [base + ".grpc.pb.h", base + ".grpc.pb.cc"]
    return outs

def kirim_cc_proto(name, srcs, proto_deps = [], deps = [], grpc = False, visibility = None):
    """Generates C++ for `srcs` (paths relative to //proto) into one cc_library `name`.

    proto_deps: other .proto files (labels) that srcs import, made visible to protoc.
    deps: the cc_library targets generated for those imports.
    """
    outs = _outs(srcs, grpc)
    plugin = " --plugin=protoc-gen-grpc=/usr/bin/grpc_cpp_plugin --grpc_out=$(GENDIR)/proto" if grpc else ""
    native.genrule(
        name = name + "_gen",
        srcs = srcs + proto_deps,
        outs = outs,
        cmd = "/usr/bin/protoc -Iproto -I/usr/include --cpp_out=$(GENDIR)/proto" + plugin +
              " " + " ".join(["proto/" + s for s in srcs]),
    )
    native.cc_library(
        name = name,
        srcs = [o for o in outs if o.endswith(".cc")],
        hdrs = [o for o in outs if o.endswith(".h")],
        includes = ["."],
        deps = deps + ["@system//:protobuf"] + (["@system//:grpc++"] if grpc else []),
        visibility = visibility,
    )
