#!/bin/sh
# Checks the suggested alerts: the PrometheusRule's spec is a valid Prometheus rules file
# (promtool check rules) and the alerts fire exactly when tests/ops/alert_rules_test.yaml says.
set -eu
dir="$(mktemp -d)"
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 -c 'import sys, yaml
doc = yaml.safe_load(open(sys.argv[1]))
assert doc["kind"] == "PrometheusRule", doc["kind"]
print(yaml.safe_dump(doc["spec"]))' k8s/monitoring/prometheus-rule.yaml > "$dir/kirim.rules.yml"
/usr/bin/promtool check rules "$dir/kirim.rules.yml"
cp tests/ops/alert_rules_test.yaml "$dir/"
cd "$dir"
/usr/bin/promtool test rules alert_rules_test.yaml
