"""A repository rule that wraps Debian's system libraries as cc_library targets.

Headers live in /usr/include, which the compiler searches already; each target only carries
the link flags that `pkg-config --libs` reports, so the build follows the installed versions.
"""

# target name -> (pkg-config modules, extra linkopts). An empty module list skips pkg-config, for
# libraries that ship no .pc file.
_LIBS = {
    "absl": (["absl_base", "absl_flags", "absl_flags_parse", "absl_flags_usage", "absl_status",
              "absl_statusor", "absl_strings", "absl_str_format", "absl_synchronization",
              "absl_time", "absl_random_random", "absl_hash", "absl_raw_hash_set",
              "absl_cord"], []),
    "protobuf": (["protobuf"], []),
    "grpc++": (["grpc++", "grpc"], ["-lgrpc++_reflection"]),
    "openssl": (["openssl"], []),
    "hiredis": (["hiredis"], []),
    "cares": (["libcares"], []),
    "gtest": (["gtest", "gmock"], ["-lpthread"]),
    "gtest_main": (["gtest_main", "gmock"], ["-lpthread"]),
    "prometheus": (["prometheus-cpp-core"], []),
    # Debian's libcivetweb-dev ships no .pc file: link flags by hand (the C++ wrapper, then the
    # C library it wraps, then what that needs).
    "civetweb": ([], ["-lcivetweb-cpp", "-lcivetweb", "-lpthread", "-ldl"]),
}

def _system_libs_impl(ctx):
    lines = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, (modules, extra) in _LIBS.items():
        flags = []
        if modules:
            res = ctx.execute(["pkg-config", "--libs"] + modules)
            if res.return_code != 0:
                fail("pkg-config could not find %s (run script/bootstrap): %s" % (modules, res.stderr))
            flags = [f for f in res.stdout.strip().split(" ") if f]
        flags = flags + extra
        lines.append("cc_library(")
        lines.append('    name = "%s",' % name)
        lines.append("    linkopts = %s," % repr(flags))
        lines.append(")")
        lines.append("")
    ctx.file("BUILD.bazel", "\n".join(lines))
    ctx.file("WORKSPACE", 'workspace(name = "%s")\n' % ctx.name)

system_libs = repository_rule(
    implementation = _system_libs_impl,
    local = True,
    environ = ["PKG_CONFIG_PATH"],
)
