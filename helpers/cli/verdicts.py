"""The tool's answer per batch size: use ONNX Runtime, keep scikit-learn, or no clear difference.

ONNX Runtime is compared, batch size by batch size, with the faster of the
scikit-learn candidates measured for that batch size in the same benchmark
(the model as saved and, with ``n_jobs``, its other setting), and the answer
is read from the interval of that speed-up, never from one median.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ANSWERS", "Verdict", "answer_line", "verdicts"]

#: The benchmark's verdict for ONNX Runtime against scikit-learn, as the answer to the user's question.
ANSWERS = {"faster": "use ONNX Runtime", "slower": "keep scikit-learn"}


@dataclass(frozen=True)
class Verdict:
    """ONNX Runtime against the faster scikit-learn candidate at one batch size.

    ``against`` names that candidate; ``speedup`` (its time / ONNX Runtime's),
    ``low`` and ``high`` are the median paired ratio and its interval;
    ``repeated`` says the batch repeats the checked rows, which were fewer.
    """

    batch_size: int
    against: str
    speedup: float
    low: float
    high: float
    answer: str
    repeated: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_size": self.batch_size,
            "against": self.against,
            "speedup": self.speedup,
            "speedup_low": self.low,
            "speedup_high": self.high,
            "verdict": self.answer,
            "rows_repeated": self.repeated,
        }


def verdicts(run: Any) -> list[Verdict]:
    """One :class:`Verdict` per batch size of the run; none without a scikit-learn candidate.

    Examples
    --------
    >>> from helpers.benchmark import BenchmarkResult
    >>> timings = {("scikit-learn", 1): [4e-5] * 6, ("scikit-learn n_jobs=-1", 1): [9e-5] * 6,
    ...            ("onnxruntime", 1): [1e-5] * 6}
    >>> result = BenchmarkResult(timings, ["scikit-learn", "scikit-learn n_jobs=-1", "onnxruntime"], [1])
    >>> from helpers.cli.runs import ModelRun
    >>> (verdict,) = verdicts(ModelRun("m", "Forest", "predict", None, result, 1))
    >>> verdict.against, verdict.speedup, verdict.answer
    ('scikit-learn', 4.0, 'use ONNX Runtime')
    """
    result = run.result
    sklearn = [name for name in result.candidates if name != "onnxruntime"]
    if "onnxruntime" not in result.candidates or not sklearn:
        return []
    found = []
    for batch_size in result.batch_sizes:
        against = min(sklearn, key=lambda name: result.median(name, batch_size))
        speedup, low, high = result.interval("onnxruntime", batch_size, baseline=against)
        verdict = result.verdict("onnxruntime", batch_size, baseline=against)
        answer = ANSWERS.get(verdict, "no clear difference")
        found.append(Verdict(batch_size, against, speedup, low, high, answer, batch_size > run.checked_rows))
    return found


def answer_line(run: Any) -> str | None:
    """``"<model>: use ONNX Runtime at 1 and 100 rows per call; ..."``, or None without verdicts.

    A model whose ONNX predictions disagree gets the answer with a warning:
    the speed is worth nothing until the mismatch is fixed.
    """
    found = verdicts(run)
    if not found:
        return None
    parts = []
    for answer in dict.fromkeys(verdict.answer for verdict in found):
        sizes = [f"{v.batch_size:,}" for v in found if v.answer == answer]
        listed = sizes[0] if len(sizes) == 1 else f"{', '.join(sizes[:-1])} and {sizes[-1]}"
        parts.append(f"{answer} at {listed} {'row' if sizes == ['1'] else 'rows'} per call")
    warning = "" if run.ok else " (once the mismatch below is fixed)"
    return f"{run.name}: {'; '.join(parts)}{warning}"
