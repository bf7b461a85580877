"""`digitpad fetch-data`, `digitpad samples` and `digitpad export`: the commands that bring files
in or write them out (MNIST, the user's own samples, the model as ONNX). Importing this module
imports no torch."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from digitpad.cli.failures import EXIT_OK
from digitpad.cli.inputs import add_model_options
from digitpad.cli.output import check_output
from digitpad.paths import downloaded_mnist_dir


def add_file_commands(commands) -> None:
    """Register `fetch-data`, `samples` and `export` on the `digitpad` command's subparsers."""
    fetch = commands.add_parser("fetch-data", help="download MNIST into the user data directory")
    fetch.add_argument("--dest", type=Path, help="target folder (default: <user data>/mnist)")
    fetch.add_argument("--mirror", default=None, help="base URL of an MNIST mirror (default: "
                       "a copy of the original files on Google Cloud Storage)")
    fetch.set_defaults(run=cmd_fetch_data)

    samples = commands.add_parser("samples", help="list, export or import your own labelled drawings",
                                  description="Your samples live in <user data>/samples.jsonl, one JSON object "
                                              'per line: {"label": 7, "strokes": [[[x, y], ...]], "created": …}.')
    samples_actions = samples.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = samples_actions.add_parser("list", help="one line per sample, then the counts per digit")
    listing.add_argument("--json", action="store_true", help="one JSON object with counts and samples")
    exporting = samples_actions.add_parser("export", help="copy your samples to a file")
    exporting.add_argument("path", type=Path, metavar="OUT")
    importing = samples_actions.add_parser("import", help="add the samples of a file (duplicates skipped)")
    importing.add_argument("path", type=Path, metavar="IN")
    for sub in (listing, exporting, importing):
        sub.add_argument("--file", type=Path, help="samples file to use (default: <user data>/samples.jsonl)")
    samples.set_defaults(run=cmd_samples)

    export = commands.add_parser("export", help="write the model as ONNX for other programs",
                                 description="Input 'input': float32 N×1×32×32, −0.1 background .. 1.175 ink; "
                                             "output 'penalties': N×10 RBF distances, the digit is the argmin.")
    export.add_argument("--onnx", type=Path, required=True, metavar="FILE", help="ONNX file to write")
    add_model_options(export, "export", device=False)
    export.set_defaults(run=cmd_export)


def cmd_fetch_data(args: argparse.Namespace) -> int:
    # numpy: imported when the command runs, not for `--help`
    from digitpad.storage.mnist import DEFAULT_MIRROR, fetch_mnist

    dest = args.dest or downloaded_mnist_dir()

    def progress(name: str, done: int, total: int | None) -> None:
        size = f"{done / 1e6:.1f}/{total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB"
        sys.stderr.write(f"\r{name}: {size}   ")
        sys.stderr.flush()

    try:
        paths = fetch_mnist(dest, base_url=args.mirror or DEFAULT_MIRROR, progress=progress)
    finally:
        sys.stderr.write("\n")
    print(f"MNIST is in {dest} ({len(paths)} files, checksums verified)")
    return EXIT_OK


def cmd_samples(args: argparse.Namespace) -> int:
    from digitpad.storage.samples import SampleStore  # numpy

    store = SampleStore(args.file)
    for problem in store.problems:
        print(f"warning: {store.path}: {problem}", file=sys.stderr)
    if args.action == "list":
        _list_samples(store, args.json)
    elif args.action == "export":
        count = store.export_file(args.path)
        print(f"wrote {count} sample(s) to {args.path}")
    else:
        added, problems = store.import_file(args.path)
        for problem in problems:
            print(f"warning: {args.path}: {problem} (skipped)", file=sys.stderr)
        print(f"imported {added} new sample(s) into {store.path} ({len(store)} in all)")
    return EXIT_OK


def _list_samples(store, as_json: bool) -> None:
    samples = store.samples()
    if as_json:
        print(json.dumps({"file": str(store.path), "counts": store.counts(),
                          "samples": [{"label": s.label, "created": s.created, "strokes": len(s.strokes)}
                                      for s in samples], "problems": store.problems}))
        return
    for index, sample in enumerate(samples):
        print(f"{index:>4}  {sample.label}  {sample.created or '-':<25}  {len(sample.strokes)} stroke(s)")
    counts = ", ".join(f"{d}: {n}" for d, n in enumerate(store.counts()) if n)
    print(f"{len(samples)} sample(s) in {store.path}" + (f" ({counts})" if counts else ""))


def cmd_export(args: argparse.Namespace) -> int:
    # torch, numpy: imported when the command runs, not for `--help`
    from digitpad.storage.checkpoints import load_model
    from digitpad.storage.onnx_export import export_onnx

    check_output(args.onnx, "cannot write there")
    model, checkpoint = load_model(args.weights)
    export_onnx(model, args.onnx)
    print(f"wrote {args.onnx} (ONNX, input 'input' N×1×32×32, output 'penalties' N×10) from {checkpoint.describe()}")
    return EXIT_OK
