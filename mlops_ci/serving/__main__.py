"""``python -m mlops_ci.serving --model PATH --name NAME --port P``: serve one skops model.

Options: ``--trusted-type T`` (repeatable: the model's ``evaluate.trusted_types``),
``--columns-json FILE`` (the inputs' schema, see ``serving.columns``), ``--version V`` (shown
in metadata and answers), ``--host H`` (default 0.0.0.0), ``--workers N`` (default: the
CPUs this process may use, at most 4; see ``serving.server``), ``--reuse-port`` (listen with
``SO_REUSEPORT``, so a new version can start beside the old one), ``--id-column C`` (the rows'
ids, see ``serving.prediction_log``; the log is on when ``MLOPS_PREDICTION_LOG`` names a file).
``MLOPS_SERVING_MAX_CONNECTIONS`` and ``MLOPS_SERVING_REQUEST_DEADLINE`` set the limits
``serving.server`` describes.
The port opens only once the model is loaded, and then prints one line ``serving NAME on
http://HOST:PORT`` to stdout (and which prediction path is on, fused or generic, to stderr:
see ``serving.predictor``); exit 2 with a message when the model cannot be loaded.

A compiled form beside the model (``MODEL.fused.npz``, ``serving.compiled``) that stands for
this very model file and columns schema is loaded instead, without scikit-learn: the server is
ready in a fraction of the time. One that does not is ignored, with one line on stderr.
``--compile-only`` writes it (``serving.precompile``) and exits: 0 when it wrote one or the
model has none (a model the fused path covers with a ``LogisticRegression``, plain or behind a
``ColumnTransformer`` of numeric and one-hot blocks, has one; the line on stdout says which or
why not), 2 when the model cannot be loaded. ``--name`` is then not needed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from mlops_ci.errors import MlopsError
from mlops_ci.serving.app import ServingApp
from mlops_ci.serving.columns import read_columns
from mlops_ci.serving.limits import ServerLimits
from mlops_ci.serving.precompile import compile_model
from mlops_ci.serving.prediction_log import PredictionLog, ServedLog
from mlops_ci.serving.predictor import Predictor
from mlops_ci.serving.server import listen, serve

# One BLAS thread per worker: the workers are the parallelism, and a BLAS thread pool does
# not survive fork. Set before numpy is imported.
for _variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

MAX_DEFAULT_WORKERS = 4


def default_workers() -> int:
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, MAX_DEFAULT_WORKERS))


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m mlops_ci.serving", description=__doc__)
    parser.add_argument("--model", type=Path, required=True, help="the skops model file")
    parser.add_argument("--name", default=None, help="the model's name in URLs (required to "
                        "serve)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="0.0.0.0")  # noqa: S104 -- a server in a container
    parser.add_argument("--version", default=None, help="the model version served")
    parser.add_argument("--trusted-type", action="append", default=[], dest="trusted_types")
    parser.add_argument("--columns-json", type=Path, default=None)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--reuse-port", action="store_true",
                        help="share the port with another server (SO_REUSEPORT)")
    parser.add_argument("--id-column", default=None,
                        help="the column of row ids: sent with requests, not fed to the model, "
                        "written to the prediction log")
    parser.add_argument("--compile-only", action="store_true",
                        help="write the model's compiled form beside it (MODEL.fused.npz) "
                        "and exit, without serving")
    args = parser.parse_args(argv)
    if args.name is None and not args.compile_only:
        parser.error("the following arguments are required: --name")
    return args


def note(line: str) -> None:
    sys.stderr.write(f"mlops-ci serving: {line}\n")
    sys.stderr.flush()


def compile_only(args: argparse.Namespace) -> int:
    """``--compile-only``: write the compiled form, or say why there is none."""
    try:
        columns = read_columns(args.columns_json) if args.columns_json else ()
        done = compile_model(args.model, args.trusted_types, columns)
    except MlopsError as error:
        sys.stderr.write("\n".join(error.lines()) + "\n")
        return error.exit_code
    if done.written is None:
        sys.stdout.write(f"no compiled form for {args.model}: {done.reason}\n")
    else:
        sys.stdout.write(f"compiled {args.model} into {done.written} ({done.reason})\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:

    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.compile_only:
        return compile_only(args)
    try:
        limits = ServerLimits.from_environ(os.environ)
        columns = read_columns(args.columns_json) if args.columns_json else ()
        predictor = Predictor.load(
            args.name, args.model, args.trusted_types, columns, version=args.version, note=note
        )
        log = PredictionLog.from_environ()
        sock = listen(args.host, args.port, reuse_port=args.reuse_port)
    except MlopsError as error:
        sys.stderr.write("\n".join(error.lines()) + "\n")
        return error.exit_code
    except OSError as error:
        sys.stderr.write(f"error: cannot listen on {args.host}:{args.port}: {error.strerror}\n")
        return 2
    host, port = sock.getsockname()[:2]

    def announce() -> None:
        workers = args.workers
        note(predictor.fast_path)
        if log is not None:
            note(f"prediction log {log.path}")
        sys.stdout.write(f"serving {args.name} on http://{host}:{port} ({workers} worker(s))\n")
        sys.stdout.flush()

    app = ServingApp(predictor, id_column=args.id_column,
                     prediction_log=None if log is None else ServedLog(log, predictor))
    return serve(app, sock, workers=args.workers, limits=limits, on_ready=announce)


if __name__ == "__main__":
    sys.exit(main())
