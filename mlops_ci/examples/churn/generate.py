"""Generate the customer-churn example data, byte for byte the same on every run.

    python generate.py [--out DIR]        # default: data/ next to this script

Writes five CSV files whose columns follow ``mlops.yaml``:

- ``train.csv`` (3,000 rows), ``test.csv`` (1,000) and ``reference.csv`` (1,000, the drift
  reference) all come from the same customer population;
- ``production_clean.csv`` (1,000) is that same population again: a drift check must pass;
- ``feedback/labelled.csv`` (1,000) is a later month of that population whose churn labels have
  arrived: live quality must hold; ``feedback/flipped.csv`` is the very same rows (so the same
  features, and no drift) with the label of every customer in the ``west`` region flipped, as
  if a competitor there had turned who leaves upside down (concept drift): live quality must
  drop;
- ``production.csv`` (1,000) is a drifted month: a price rise put ``monthly_charges`` up 15%
  (the accumulated ``total_charges`` predate it), a promotion moved new contracts towards
  month-to-month, and an outage raised ``support_calls``. Tenure, payment method, region and
  paperless billing follow the reference distribution.

Churn follows a logistic model of the features plus noise, so a good classifier reaches a
test ROC AUC around 0.85, not 1.0. Every file draws from its own child of one seed
(``SEED``), so resizing one file leaves the others unchanged. Only numpy's ``Generator``
and the standard library are used; floats are written with fixed two-decimal formatting.
"""

from __future__ import annotations

import argparse
import csv
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 20240917  # root of numpy.random.SeedSequence; each file gets one spawned child

CONTRACTS = ("month-to-month", "one-year", "two-year")
PAYMENT_METHODS = ("card", "bank-transfer", "electronic-check", "mailed-check")
PAYMENT_SHARES = (0.32, 0.25, 0.28, 0.15)
REGIONS = ("north", "south", "east", "west")
REGION_SHARES = (0.22, 0.31, 0.27, 0.20)
COLUMNS = (
    "customer_id",
    "tenure_months",
    "monthly_charges",
    "total_charges",
    "support_calls",
    "contract",
    "payment_method",
    "region",
    "paperless",
    "churned",
)


@dataclass(frozen=True, slots=True)
class Population:
    """How one sample of customers is drawn; the defaults are the reference population."""

    price_factor: float = 1.0  # multiplies this month's monthly_charges
    month_to_month_shift: float = 0.0  # added to the month-to-month logit of the contract choice
    support_call_rate: float = 1.3  # mean support calls per customer (Poisson)


@dataclass(frozen=True, slots=True)
class Sample:
    file_name: str
    rows: int
    first_id: int
    population: Population


REFERENCE = Population()
DRIFTED = Population(price_factor=1.15, month_to_month_shift=1.0, support_call_rate=2.2)

SAMPLES = (
    Sample("train.csv", 3000, 1, REFERENCE),
    Sample("test.csv", 1000, 3001, REFERENCE),
    Sample("reference.csv", 1000, 4001, REFERENCE),
    Sample("production.csv", 1000, 5001, DRIFTED),
    Sample("production_clean.csv", 1000, 6001, REFERENCE),
)

FEEDBACK = Sample("labelled.csv", 1000, 7001, REFERENCE)
FEEDBACK_DIR = "feedback"
FLIPPED_FILE = "flipped.csv"
FLIPPED_REGION = "west"

MISSING_TOTAL_SHARE = 0.02  # total_charges is empty for this share of rows (billing backlog)


def _choice(
    rng: np.random.Generator, options: tuple[str, ...], shares: tuple[float, ...], rows: int
) -> np.ndarray:
    return np.asarray(options, dtype=object)[rng.choice(len(options), size=rows, p=shares)]


def _contracts(rng: np.random.Generator, tenure: np.ndarray, shift: float) -> np.ndarray:
    """Long-standing customers tend to hold longer contracts (a multinomial logit of tenure)."""
    years = tenure / 12.0
    logits = np.stack([np.full_like(years, 0.9 + shift), 0.25 * years, -0.8 + 0.4 * years], axis=1)
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities = weights / weights.sum(axis=1, keepdims=True)
    uniform = rng.random(len(tenure))
    index = (uniform[:, None] > np.cumsum(probabilities, axis=1)[:, :-1]).sum(axis=1)
    contracts: np.ndarray = np.asarray(CONTRACTS, dtype=object)[index]
    return contracts


def _churn_logit(
    tenure: np.ndarray,
    monthly_charges: np.ndarray,
    support_calls: np.ndarray,
    contract: np.ndarray,
    payment_method: np.ndarray,
    paperless: np.ndarray,
) -> np.ndarray:
    """The true churn log-odds: short tenure, high price, many calls and no contract churn."""
    log_odds: np.ndarray = (
        -1.6
        + 1.7 * (contract == "month-to-month")
        - 1.8 * (contract == "two-year")
        - 1.0 * np.log1p(tenure / 6.0)
        + 0.045 * (monthly_charges - 70.0)
        + 0.6 * support_calls
        + 0.8 * (payment_method == "electronic-check")
        + 0.25 * paperless
    )
    return log_odds


def draw(rng: np.random.Generator, rows: int, population: Population) -> dict[str, np.ndarray]:
    """Draw ``rows`` customers of ``population``; one array per column of ``COLUMNS``."""
    tenure = np.minimum(np.round(rng.gamma(1.4, 22.0, rows)), 120).astype(np.int64)
    contract = _contracts(rng, tenure, population.month_to_month_shift)
    payment_method = _choice(rng, PAYMENT_METHODS, PAYMENT_SHARES, rows)
    region = _choice(rng, REGIONS, REGION_SHARES, rows)
    paperless = rng.random(rows) < 0.6
    base_charges = np.clip(rng.normal(68.0, 24.0, rows), 18.0, 150.0)
    monthly_charges = base_charges * population.price_factor
    total_charges = base_charges * np.maximum(tenure, 1) * rng.uniform(0.95, 1.05, rows)
    total_missing = rng.random(rows) < MISSING_TOTAL_SHARE
    support_calls = np.minimum(rng.poisson(population.support_call_rate, rows), 50)
    logit = _churn_logit(
        tenure, monthly_charges, support_calls, contract, payment_method, paperless
    )
    noisy_logit = logit + rng.normal(0.0, 0.5, rows)
    churned = (rng.random(rows) < 1.0 / (1.0 + np.exp(-noisy_logit))).astype(np.int64)
    return {
        "tenure_months": tenure,
        "monthly_charges": monthly_charges,
        "total_charges": np.where(total_missing, np.nan, total_charges),
        "support_calls": support_calls,
        "contract": contract,
        "payment_method": payment_method,
        "region": region,
        "paperless": paperless,
        "churned": churned,
    }


def _money(value: float) -> str:
    return "" if np.isnan(value) else f"{value:.2f}"


def render(
    sample: Sample, rng: np.random.Generator, *, flip_region: str | None = None
) -> str:
    """The CSV text of one sample: LF line ends, fixed float format, bools as true/false.

    With ``flip_region``, the label of every row in that region is flipped (features untouched).
    """
    columns = draw(rng, sample.rows, sample.population)
    if flip_region is not None:
        flipped = columns["region"] == flip_region
        columns["churned"] = np.where(flipped, 1 - columns["churned"], columns["churned"])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in range(sample.rows):
        writer.writerow(
            (
                f"C{sample.first_id + row:06d}",
                int(columns["tenure_months"][row]),
                _money(columns["monthly_charges"][row]),
                _money(columns["total_charges"][row]),
                int(columns["support_calls"][row]),
                columns["contract"][row],
                columns["payment_method"][row],
                columns["region"][row],
                "true" if columns["paperless"][row] else "false",
                int(columns["churned"][row]),
            )
        )
    return out.getvalue()


def generate(out_dir: Path) -> list[Path]:
    """Write every sample into ``out_dir``; returns the written paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    children = np.random.SeedSequence(SEED).spawn(len(SAMPLES) + 1)  # child i never changes
    written = []
    for sample, child in zip(SAMPLES, children[: len(SAMPLES)], strict=True):
        path = out_dir / sample.file_name
        path.write_bytes(render(sample, np.random.default_rng(child)).encode("utf-8"))
        written.append(path)
    feedback_dir = out_dir / FEEDBACK_DIR
    feedback_dir.mkdir(exist_ok=True)
    feedback_child = children[len(SAMPLES)]
    for name, flip in ((FEEDBACK.file_name, None), (FLIPPED_FILE, FLIPPED_REGION)):
        path = feedback_dir / name
        text = render(FEEDBACK, np.random.default_rng(feedback_child), flip_region=flip)
        path.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "data",
        help="directory to write the CSV files into (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    for path in generate(args.out):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
