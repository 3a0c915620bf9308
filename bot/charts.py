"""A picture of progress: accuracy by topic against the group, and answers over the last weeks, as a PNG."""

from __future__ import annotations

import asyncio
import io

from bot.cards import StatsCard

STATS_CHART = "casebook-stats.png"


def stats_png(card: StatsCard) -> bytes:
    """Draw the chart. Slow-ish (tens of ms) and blocking: call `render_stats_png` from the event loop."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 6), dpi=100, layout="constrained")
    by_topic, by_week = figure.subplots(2, 1, height_ratios=(max(len(card.topics), 2), 3))
    names = [topic.topic for topic in card.topics]
    rows = range(len(names))
    mine = [100 * (topic.member_accuracy or 0) for topic in card.topics]
    group = [100 * (topic.group_accuracy or 0) for topic in card.topics]
    by_topic.barh([row + 0.2 for row in rows], mine, height=0.4, label=card.name, color="#3b7dd8")
    by_topic.barh([row - 0.2 for row in rows], group, height=0.4, label="group", color="#b0b7c3")
    by_topic.set_yticks(list(rows), names)
    by_topic.set_xlim(0, 100)
    by_topic.set_xlabel("accuracy (%)")
    by_topic.legend(loc="lower right")
    by_topic.set_title(f"{card.name}: {card.correct}/{card.answered} correct · {card.points} points")
    labels = [label for label, _, _ in card.weeks]
    by_week.bar(labels, [answered for _, answered, _ in card.weeks], color="#b0b7c3", label="answered")
    by_week.bar(labels, [right for _, _, right in card.weeks], color="#3b7dd8", label="correct")
    by_week.set_ylabel("daily answers")
    by_week.set_title("the last weeks (week starting)")
    by_week.legend(loc="upper left")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


async def render_stats_png(card: StatsCard) -> bytes:
    """The chart, drawn on a worker thread so the event loop keeps answering clicks."""
    return await asyncio.to_thread(stats_png, card)
