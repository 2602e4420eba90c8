#!/usr/bin/python3
"""Draws bench/run's chart: bench/chart.py RESULTS.tsv OUT.png

Three panels from one run's .tsv: end-to-end throughput (each Kirim figure beside Postfix and
the SMTP ceiling, with the 4x-Postfix target line), ingest calls/s (Kirim and the bare gRPC
echo server at both in-flight levels), and kirimd's peak RSS against its targets. A figure
that failed is drawn as a missing bar labelled "failed". Needs Debian's python3-matplotlib
(bench/run installs it when missing)."""

import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def read_tsv(path):
    values = {}
    with open(path) as f:
        next(f)  # header
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) >= 2:
                values[fields[0]] = fields[1]
    return values


def number(values, key):
    try:
        return float(values.get(key, ""))
    except ValueError:
        return None


def bars(ax, labels, heights, colors, unit, at_least=0):
    """One bar per figure, its value written on top; the y axis reaches at least `at_least`."""
    xs = range(len(labels))
    ax.bar(xs, [h or 0 for h in heights], color=colors)
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, rotation=20, ha="right", fontsize=8)
    top = max([h for h in heights if h] or [1])
    for x, h in zip(xs, heights):
        text = "failed" if h is None else (f"{h:,.0f}" if h >= 100 else f"{h:.1f}")
        ax.text(x, (h or 0) + top * 0.01, text, ha="center", va="bottom", fontsize=8)
    ax.set_ylabel(unit)
    ax.set_ylim(0, max(top, at_least) * 1.18)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write("usage: bench/chart.py RESULTS.tsv OUT.png\n")
        return 2
    v = read_tsv(argv[1])
    low, high, queued = v.get("grpc_low_in_flight", "8"), v.get("grpc_in_flight", "64"), v.get("queued", "?")
    kirim, peer, ceiling = "#2a7ab0", "#c0504d", "#9b9b9b"

    fig, (e2e, ingest, mem) = plt.subplots(1, 3, figsize=(15, 5.2), gridspec_kw={"width_ratios": [3, 2, 1.4]})
    fig.suptitle(f"Kirim benchmark matrix, {v.get('time', '?')}: N={v.get('n', '?')} messages of "
                 f"{v.get('message_bytes', '?')} bytes, {v.get('cores', '?')} cores shared by everything")

    postfix = number(v, "e2e_postfix")
    bars(e2e, ["Kirim\nunsigned", "Kirim\nRSA-2048 DKIM", "Kirim\nRSA+Ed25519 DKIM", "Kirim\nappendfsync always",
               "Postfix", "SMTP ceiling\n(smtp-source→sink)"],
         [number(v, k) for k in ("e2e_kirim", "e2e_rsa", "e2e_ed25519", "e2e_always", "e2e_postfix", "e2e_ceiling")],
         [kirim] * 4 + [peer, ceiling], "messages/s", at_least=4 * (postfix or 0))
    if postfix:
        e2e.axhline(4 * postfix, color=peer, linestyle="--", linewidth=1)
        e2e.text(-0.4, 4 * postfix, " 4× Postfix (target)", color=peer, va="bottom", fontsize=8)
    e2e.set_title("End to end: SendEmail → Redis → relay → smtp-sink")

    bars(ingest, [f"Kirim\n{low} in flight", f"echo\n{low} in flight", f"Kirim\n{high} in flight", f"echo\n{high} in flight"],
         [number(v, k) for k in (f"ingest_kirim_{low}", f"ingest_echo_{low}", f"ingest_kirim_{high}", f"ingest_echo_{high}")],
         [kirim, ceiling, kirim, ceiling], "SendEmail calls/s")
    ingest.set_title("Ingest (role api) vs a bare gRPC server")

    bars(mem, ["idle", f"{queued}\nqueued"], [number(v, "mem_idle"), number(v, "mem_queued")], [kirim, kirim],
         "MiB (VmHWM)", at_least=256)
    for goal in (64, 256):
        mem.axhline(goal, color=peer, linestyle="--", linewidth=1)
        mem.text(1.45, goal, f"{goal} MiB", color=peer, va="bottom", ha="right", fontsize=8)
    per_msg = v.get("redis_bytes_per_queued_msg") or "?"
    mem.set_title(f"kirimd peak RSS\n(Redis: {per_msg} bytes per queued message)", fontsize=10)

    fig.tight_layout()
    fig.savefig(argv[2], dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
