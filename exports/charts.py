"""Charts (PNG) with matplotlib: baseline against follow-up, and answer distributions.

matplotlib ≥ 3.11 shapes Arabic itself (libraqm), so labels are drawn as given; an Arabic chart
mirrors its layout (labels on the right, bars growing leftwards). Texts come from the caller.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

FONT = "DejaVu Sans"
BASELINE = "#9aa9b8"
FOLLOWUP = "#1f6fb2"


@dataclass
class CompareRow:
    label: str
    baseline: float | None  # share in % (or a score), None when not measured
    followup: float | None
    n_baseline: int = 0
    n_followup: int = 0


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def compare_chart(
    path: Path,
    rows: list[CompareRow],
    title: str,
    legend: tuple[str, str],
    xlabel: str = "%",
    rtl: bool = False,
    xmax: float = 100.0,
    value_format: Callable[[float], str] | None = None,
    n_format: Callable[[int], str] | None = None,
) -> Path:
    """Two bars per question: baseline (grey) and follow-up (blue), the value written at the end
    (`value_format`: the document's way of writing a share; `n_format`: of a group size)."""
    value_format = value_format or (lambda v: f"{v:.0f}%")
    n_format = n_format or (lambda n: f"n={n}")
    plt = _plt()
    path.parent.mkdir(parents=True, exist_ok=True)
    height = 1.3 + 0.62 * max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(7.5, height), dpi=120)
    bar = 0.36
    for i, r in enumerate(rows):
        for offset, value, color, n in (
            (-bar / 2, r.baseline, BASELINE, r.n_baseline),
            (bar / 2, r.followup, FOLLOWUP, r.n_followup),
        ):
            if value is None:
                continue
            ax.barh(i + offset, value, height=bar, color=color)
            ax.text(
                value + xmax * 0.01,
                i + offset,
                value_format(value) + (f"  ({n_format(n)})" if n else ""),
                va="center",
                ha="right" if rtl else "left",
                fontsize=7.5,
                family=FONT,
            )
    ax.set_yticks(range(len(rows)), [_wrap(r.label) for r in rows], fontsize=8.5, family=FONT)
    ax.invert_yaxis()
    ax.set_xlim(0, xmax * 1.18)
    ax.set_xlabel(xlabel, family=FONT)
    if rtl:
        ax.invert_xaxis()
        ax.yaxis.tick_right()
        ax.spines["left"].set_visible(False)
    else:
        ax.spines["right"].set_visible(False)
    ax.spines["top"].set_visible(False)
    ax.set_title(title, fontsize=11, family=FONT)
    from matplotlib.patches import Patch

    handles = [Patch(color=BASELINE, label=legend[0]), Patch(color=FOLLOWUP, label=legend[1])]
    ax.legend(
        handles=handles[::-1] if rtl else handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.5 / height - 0.12),
        ncol=2,
        fontsize=8,
        frameon=False,
        prop={"family": FONT},
    )
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


@dataclass
class DistributionRow:
    label: str
    counts: list[int]  # per option, worst to best (or in option order)
    n: int


PALETTE = ("#d7301f", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")


def _colors(k: int) -> list[str]:
    if k > len(PALETTE):
        import matplotlib

        cmap = matplotlib.colormaps["tab20"]
        return [matplotlib.colors.to_hex(cmap(i % 20)) for i in range(k)]
    step = (len(PALETTE) - 1) / max(k - 1, 1)
    return [PALETTE[round(i * step)] for i in range(k)]


def distribution_chart(
    path: Path,
    rows: list[DistributionRow],
    title: str,
    legend: list[str],
    rtl: bool = False,
    n_format: Callable[[int], str] | None = None,
) -> Path:
    """One stacked bar per question: the share of each answer (options in the same order)."""
    plt = _plt()
    path.parent.mkdir(parents=True, exist_ok=True)
    height = 1.5 + 0.5 * max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(7.5, height), dpi=120)
    colors = _colors(len(legend))
    for i, r in enumerate(rows):
        total = sum(r.counts) or 1
        left = 0.0
        for count, color in zip(r.counts, colors):
            share = 100.0 * count / total
            ax.barh(i, share, left=left, color=color, edgecolor="white", height=0.65)
            if share >= 9:
                ax.text(
                    left + share / 2, i, f"{share:.0f}%", ha="center", va="center", fontsize=7.5, family=FONT
                )
            left += share
    n_format = n_format or (lambda n: f"n={n}")
    ax.set_yticks(
        range(len(rows)), [_wrap(f"{r.label} ({n_format(r.n)})") for r in rows], fontsize=8.5, family=FONT
    )
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("%")
    if rtl:
        ax.invert_xaxis()
        ax.yaxis.tick_right()
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(title, fontsize=11, family=FONT)
    from matplotlib.patches import Patch

    handles = [Patch(color=c, label=lbl) for c, lbl in zip(colors, legend)]
    ax.legend(
        handles=handles[::-1] if rtl else handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.5 / height - 0.12),
        ncol=min(len(legend), 5),
        fontsize=7.5,
        frameon=False,
        prop={"family": FONT},
    )
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def _wrap(text: str, width: int = 34) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text
