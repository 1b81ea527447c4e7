"""Poll results as a chart image (PNG): one horizontal bar per question, split into the share
of each answer, with n. matplotlib ≥ 3.11 lays out Arabic itself (libraqm), so labels in any of
the four variants are drawn as given. Texts come from the caller."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# from the worst to the best answer (5 levels); fewer levels use the first ones spread out
PALETTE = ("#d7301f", "#fc8d59", "#fee08b", "#91cf60", "#1a9850")


@dataclass
class ChartRow:
    label: str  # the question's short label
    counts: list[int]  # per answer level, from worst to best
    n: int


def _colors(k: int) -> list[str]:
    if k >= len(PALETTE):
        return list(PALETTE) + ["#888888"] * (k - len(PALETTE))
    step = (len(PALETTE) - 1) / max(k - 1, 1)
    return [PALETTE[round(i * step)] for i in range(k)]


def poll_chart_png(path: Path, rows: list[ChartRow], title: str = "", legend: list[str] | None = None,
                   rtl: bool = False) -> Path:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    height = 1.2 + 0.45 * max(len(rows), 1)
    fig, ax = plt.subplots(figsize=(8, height), dpi=110)
    labels = [f"{r.label} (n={r.n})" for r in rows]
    for i, row in enumerate(rows):
        total = sum(row.counts) or 1
        left = 0.0
        for count, color in zip(row.counts, _colors(len(row.counts))):
            share = 100.0 * count / total
            ax.barh(i, share, left=left, color=color, edgecolor="white", height=0.7)
            if share >= 8:
                ax.text(left + share / 2, i, f"{share:.0f}%", ha="center", va="center", fontsize=8)
            left += share
    ax.set_yticks(range(len(rows)), labels, fontsize=9, family="DejaVu Sans")
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    if rtl:
        ax.invert_xaxis()
        ax.yaxis.tick_right()
    ax.set_xlabel("%")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    if title:
        ax.set_title(title, fontsize=12, family="DejaVu Sans")
    if legend:
        from matplotlib.patches import Patch
        handles = [Patch(color=c, label=lbl) for c, lbl in zip(_colors(len(legend)), legend)]
        if rtl:  # read from the right, like the bars
            handles.reverse()
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12 - 0.6 / height),
                  ncol=len(legend), fontsize=8, frameon=False, prop={"family": "DejaVu Sans"})
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)
    return path
