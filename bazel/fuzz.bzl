"""kirim_fuzz_target: a libFuzzer target that is also a regression test in the normal build."""

def kirim_fuzz_target(name, deps = []):
    """Declares the fuzz target `name` from `name`_fuzzer.cc (LLVMFuzzerTestOneInput).

    - `name`_fuzzer_lib: the target itself (alwayslink, so its entry point is always linked).
    - `name`_regression_test: a small cc_test, part of `bazel test //...` with g++, that replays
      corpus/`name`/ (the seeds, at least one file) and regressions/`name`/ (every crasher
      found, kept for good) through the target.
    - `name`_fuzzer: the fuzzing binary, `manual`. Under `--config=fuzz` (clang, script/fuzz)
      it links libFuzzer's main (-fsanitize=fuzzer); in any other build it is the same corpus
      replayer as the test, so `bazel build //...` with g++ never needs libFuzzer.
    """
    lib = name + "_fuzzer_lib"
    corpus = "corpus/" + name
    regressions = "regressions/" + name
    prefix = native.package_name() + "/"
    native.cc_library(
        name = lib,
        testonly = True,
        srcs = [name + "_fuzzer.cc"],
        deps = deps + [":fuzz_input"],
        alwayslink = True,
    )
    native.cc_test(
        name = name + "_regression_test",
        size = "small",
        args = [prefix + corpus, "--optional", prefix + regressions],
        data = native.glob([corpus + "/**", regressions + "/**"]),
        deps = [":" + lib, ":fuzz_regression_main"],
    )
    native.cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        tags = ["manual"],
        linkopts = select({
            "//bazel:libfuzzer": ["-fsanitize=fuzzer"],
            "//conditions:default": [],
        }),
        deps = [":" + lib] + select({
            "//bazel:libfuzzer": [],
            "//conditions:default": [":fuzz_regression_main"],
        }),
    )
