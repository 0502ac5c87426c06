"""How well comment sentiment agrees with people, and how fast it is scored.

Reads the VADER tweets ground truth (4,200 texts, each the mean rating of 20 or more people on -4 to +4),
scores each text with the dashboard's scorer on one core, and reports:

- Pearson correlation of the compound score with rating / 4;
- three-class agreement: compound >= 0.05 positive, <= -0.05 negative, else neutral (the dashboard's
  rule), against rating > 0.5 positive, < -0.5 negative, else neutral (on the -4 to +4 scale), with
  Cohen's kappa and the confusion table;
- texts scored per second on one core (best of --repeat runs, the analyzer already loaded);
- how many texts the language check would leave unscored as not English.

The texts keep their HTML entities (&amp;), which are unescaped before scoring.

    .venv/bin/python benchmarks/sentiment_agreement.py [CSV] [--json OUT] [--repeat N]
"""

from __future__ import annotations

import argparse
import html
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from cpdash.text.sentiment import NEGATIVE, POSITIVE, analyzer, detect_language, score_texts  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared" / "data" / "vader_tweets_GroundTruth.csv"
RATING_SCALE = 4.0  # ratings run from -4 to +4
RATING_NEUTRAL_BAND = 0.5  # |rating| <= 0.5 is neutral
CLASSES = ("negative", "neutral", "positive")


def rating_class(rating: np.ndarray) -> np.ndarray:
    """Three classes from human ratings on -4..4: > 0.5 positive, < -0.5 negative, else neutral."""
    return np.where(rating > RATING_NEUTRAL_BAND, 2, np.where(rating < -RATING_NEUTRAL_BAND, 0, 1))


def compound_class(compound: np.ndarray) -> np.ndarray:
    """Three classes from compound scores: >= 0.05 positive, <= -0.05 negative, else neutral."""
    return np.where(compound >= POSITIVE, 2, np.where(compound <= NEGATIVE, 0, 1))


def cohen_kappa(a: np.ndarray, b: np.ndarray, classes: int = 3) -> float:
    """Cohen's kappa of two labelings coded 0..classes-1."""
    table = np.zeros((classes, classes))
    np.add.at(table, (a, b), 1)
    n = table.sum()
    observed = np.trace(table) / n
    expected = (table.sum(axis=0) * table.sum(axis=1)).sum() / n**2
    return float((observed - expected) / (1 - expected))


def measure(path: Path, repeat: int) -> dict[str, object]:
    """Score the ground truth and compute agreement and speed."""
    data = pd.read_csv(path)
    texts = [html.unescape(str(t)) for t in data["text"]]
    rating = data["mean_sentiment_rating"].to_numpy(dtype="float64")

    analyzer()  # load the lexicon outside the timing
    best = float("inf")
    compound = np.zeros(0)
    for _ in range(max(repeat, 1)):
        started = time.perf_counter()
        compound = np.asarray(score_texts(texts), dtype="float64")
        best = min(best, time.perf_counter() - started)

    truth, predicted = rating_class(rating), compound_class(compound)
    confusion = pd.crosstab(
        pd.Categorical([CLASSES[i] for i in truth], categories=CLASSES),
        pd.Categorical([CLASSES[i] for i in predicted], categories=CLASSES),
        rownames=["people"],
        colnames=["compound"],
        dropna=False,
    )
    languages = detect_language(pd.Series(texts, dtype="str"))
    return {
        "file": str(path),
        "texts": len(texts),
        "pearson_r": float(np.corrcoef(compound, rating / RATING_SCALE)[0, 1]),
        "three_class_agreement": float((truth == predicted).mean()),
        "cohen_kappa": cohen_kappa(truth, predicted),
        "class_rule": (
            f"people: rating > {RATING_NEUTRAL_BAND} positive, < -{RATING_NEUTRAL_BAND} negative, "
            f"else neutral (-4..4); compound: >= {POSITIVE} positive, <= {NEGATIVE} negative, else neutral"
        ),
        "people_classes": {c: int((truth == i).sum()) for i, c in enumerate(CLASSES)},
        "compound_classes": {c: int((predicted == i).sum()) for i, c in enumerate(CLASSES)},
        "confusion": {row: {col: int(confusion.loc[row, col]) for col in CLASSES} for row in CLASSES},
        "seconds_one_core": best,
        "texts_per_second_one_core": len(texts) / best if best > 0 else float("nan"),
        "detected_not_english": int((languages != "en").sum()),
    }


def report(result: dict[str, object]) -> str:
    """The result as a plain-text table."""
    lines = [
        f"Sentiment agreement with people: {result['file']}",
        "",
        f"{'texts':<38}{result['texts']:>10,}",
        f"{'Pearson r (compound vs rating / 4)':<38}{result['pearson_r']:>10.3f}",
        f"{'three-class agreement':<38}{result['three_class_agreement']:>10.1%}",
        f"{'Cohen kappa':<38}{result['cohen_kappa']:>10.3f}",
        f"{'texts per second, one core':<38}{result['texts_per_second_one_core']:>10,.0f}",
        f"{'detected as not English (unscored)':<38}{result['detected_not_english']:>10,}",
        "",
        f"Classes: {result['class_rule']}",
        "",
        "people / compound".ljust(18) + "".join(f"{c:>10}" for c in CLASSES) + f"{'total':>10}",
    ]
    confusion = result["confusion"]
    for row in CLASSES:
        counts = [confusion[row][col] for col in CLASSES]
        lines.append(f"{row:<18}" + "".join(f"{c:>10,}" for c in counts) + f"{sum(counts):>10,}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV, help="ground-truth CSV")
    parser.add_argument("--json", type=Path, help="also write the result as JSON to this file")
    parser.add_argument("--repeat", type=int, default=3, help="timing runs (the best counts)")
    args = parser.parse_args(argv)
    if not args.csv.exists():
        print(f"not found: {args.csv}", file=sys.stderr)
        return 2
    result = measure(args.csv, args.repeat)
    print(report(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
