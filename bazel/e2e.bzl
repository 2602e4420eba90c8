"""kirim_e2e_test: an end-to-end test against a real kirimd, Redis and the test harness."""

def kirim_e2e_test(name, data = [], deps = []):
    """A medium cc_test named `name` from `name`.cc, with kirimd and the harness it always needs.

    Tagged no_tsan: kirimd's gRPC and protobuf are Debian's uninstrumented builds, so under TSan
    these tests report gRPC's internals (and one crashed inside protobuf's Map while reading
    kirimd's JSON log); `script/sanitize tsan` leaves them out (docs/building.md).
    """
    native.cc_test(
        name = name,
        size = "medium",
        tags = ["no_tsan"],
        srcs = [name + ".cc"],
        data = ["//server/kirimd"] + data,
        deps = [
            ":e2e_util",
            "//tests/harness:kirimd_process",
            "//tests/harness:redis_server",
            "@system//:gtest_main",
        ] + deps,
    )
