"""The delivery diff: what happened in the cluster vs. what BotKube's webhook delivered (pure).

For each happening (an object change or a core Event of a scenario's object) the diff says
whether a delivery matched it and, from the model, whether BotKube should have forwarded it
and why not. Rows where observation and model disagree are the interesting ones: a delivery
the model says cannot happen, or a predicted delivery that never came. Deliveries that match
no happening (another source, another object) are listed separately.

Matching follows what BotKube puts in the payload (internal/source/kubernetes/event/event.go):
an object change arrives as ``Type`` create/update/delete with the object's ``Name``,
``Namespace`` and the watched ``Resource``; a core Event arrives as ``Type=error`` carrying the
Event's ``Reason`` and the *involved object's* name, namespace and resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import partial

from pytest_botkube.model.events import Forwarding, Happening
from pytest_botkube.model.semantics import Analysis, forwarding
from pytest_botkube.readers.payload import Delivery

__all__ = ["DeliveryDiff", "DiffRow", "ForwardingModel", "delivery_diff", "matches_happening"]

#: The model's answer for one happening: ``semantics.forwarding`` bound to an ``Analysis``, or
#: any stand-in with the same shape.
ForwardingModel = Callable[[Happening], Forwarding]


def matches_happening(delivery: Delivery, happening: Happening) -> bool:
    """Whether ``delivery`` is BotKube's report of ``happening``."""
    if happening.is_core_event:
        expected_type = "error"
        if delivery.reason != happening.reason:
            return False
    else:
        expected_type = happening.action or ""
    return (
        delivery.type == expected_type
        and delivery.name == happening.name
        and delivery.namespace == happening.namespace
        and delivery.resource == happening.resource
    )


@dataclass(frozen=True)
class DiffRow:
    """One happening and what became of it."""

    happening: Happening
    deliveries: tuple[Delivery, ...] = ()
    forwarding: Forwarding | None = None  # None when no model was consulted

    @property
    def delivered(self) -> bool:
        return bool(self.deliveries)

    @property
    def delivered_by(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for delivery in self.deliveries:
            seen.update(dict.fromkeys(delivery.sources))
        return tuple(seen)

    @property
    def disagreement(self) -> str:
        """Why observation and model disagree for this row; empty when they agree."""
        model = self.forwarding
        if model is None:
            return ""
        if self.delivered and not model.delivered:
            prefix = f"{self.happening.describe()}: "
            text = model.why[len(prefix) :] if model.why.startswith(prefix) else model.why
            why = f" ({text})" if text else ""
            return f"delivered, but the model says BotKube would not forward it{why}"
        if model.delivered and not self.delivered:
            by = f" by {', '.join(model.sources)}" if model.sources else ""
            return f"the model predicts delivery{by}, but nothing arrived"
        if self.delivered and model.sources:
            missing = [s for s in model.sources if s not in self.delivered_by]
            extra = [s for s in self.delivered_by if s not in model.sources]
            parts = []
            if missing:
                parts.append(f"no delivery from {', '.join(missing)}")
            if extra:
                parts.append(f"unpredicted delivery from {', '.join(extra)}")
            if parts:
                return f"predicted sources {', '.join(model.sources)}: " + "; ".join(parts)
        return ""

    def what(self) -> str:
        text = self.happening.describe()
        return f"{text} (x{self.happening.count})" if self.happening.count > 1 else text

    def why(self) -> str:
        """The model's explanation, or the disagreement when there is one."""
        if self.forwarding is None:
            return "(no model)"
        if self.disagreement:
            return self.disagreement
        # the model's sentences start by restating the happening, already in the first column
        prefix = f"{self.happening.describe()}: "
        why = self.forwarding.why
        return why[len(prefix) :] if why.startswith(prefix) else why


@dataclass(frozen=True)
class DeliveryDiff:
    """The table a maintainer pastes into a bug report."""

    rows: tuple[DiffRow, ...]
    unmatched: tuple[Delivery, ...] = field(default=())

    @property
    def disagreements(self) -> tuple[DiffRow, ...]:
        return tuple(row for row in self.rows if row.disagreement)

    @property
    def delivered(self) -> tuple[DiffRow, ...]:
        return tuple(row for row in self.rows if row.delivered)

    @property
    def not_delivered(self) -> tuple[DiffRow, ...]:
        return tuple(row for row in self.rows if not row.delivered)

    def _table(self) -> list[tuple[str, str, str, str, str]]:
        table = []
        for row in self.rows:
            model = "-" if row.forwarding is None else _model_word(row.forwarding)
            flag = "-" if row.forwarding is None else ("NO" if row.disagreement else "yes")
            delivered = (", ".join(row.delivered_by) or "yes") if row.delivered else "no"
            table.append((row.what(), delivered, model, flag, row.why()))
        return table

    def summary(self) -> str:
        return (
            f"{len(self.rows)} happened, {len(self.delivered)} delivered, "
            f"{len(self.not_delivered)} not delivered, {len(self.disagreements)} disagreeing "
            f"with the model; unmatched deliveries: {len(self.unmatched)}"
        )

    def render_markdown(self) -> str:
        lines = [
            "| What happened | Delivered (by source) | Model | Agrees | Why |",
            "|---|---|---|---|---|",
        ]
        lines += [
            "| " + " | ".join(_md_cell(cell) for cell in cells) + " |" for cells in self._table()
        ]
        if not self.rows:
            lines.append("| (nothing happened) | | | | |")
        lines += ["", self.summary() + "."]
        if self.unmatched:
            lines += ["", "Deliveries matching nothing that happened:", ""]
            lines += [f"- `{delivery.describe()}`" for delivery in self.unmatched]
        return "\n".join(lines) + "\n"

    def render_text(self) -> str:
        header = ("WHAT HAPPENED", "DELIVERED", "MODEL", "AGREES", "WHY")
        table = [header, *self._table()]
        widths = [max(len(cells[i]) for cells in table) for i in range(4)]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=False))
            + "  "
            + cells[4]
            for cells in table
        ]
        lines = [line.rstrip() for line in lines]
        lines.append(self.summary())
        lines += [f"unmatched delivery: {delivery.describe()}" for delivery in self.unmatched]
        return "\n".join(lines) + "\n"


def _model_word(forwarding: Forwarding) -> str:
    if not forwarding.delivered:
        return "not forwarded"
    return f"forwarded by {', '.join(forwarding.sources)}" if forwarding.sources else "forwarded"


def _md_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def delivery_diff(
    happenings: Iterable[Happening],
    deliveries: Sequence[Delivery],
    analysis: Analysis | ForwardingModel | None = None,
) -> DeliveryDiff:
    """Pair each happening with the deliveries that report it and the model's prediction.

    ``analysis`` is the model's :class:`~pytest_botkube.model.semantics.Analysis` of the
    installed values (asked through ``semantics.forwarding``), or any ``Happening ->
    Forwarding`` callable; without it the rows carry no prediction and nothing disagrees.

    Each delivery is used once, and a happening takes at most one delivery per source alias
    (BotKube sends one per source that forwards it), in arrival order: two updates of the
    same object are two rows with one delivery each, not one row with both.
    """
    model: ForwardingModel | None = (
        partial(forwarding, analysis) if isinstance(analysis, Analysis) else analysis
    )
    used = [False] * len(deliveries)
    rows = []
    for happening in happenings:
        taken: list[Delivery] = []
        sources_taken: set[tuple[str, ...]] = set()
        for index, delivery in enumerate(deliveries):
            if used[index] or delivery.sources in sources_taken:
                continue
            if matches_happening(delivery, happening):
                used[index] = True
                sources_taken.add(delivery.sources)
                taken.append(delivery)
        prediction = model(happening) if model is not None else None
        rows.append(DiffRow(happening, tuple(taken), prediction))
    unmatched = tuple(d for d, was_used in zip(deliveries, used, strict=True) if not was_used)
    return DeliveryDiff(tuple(rows), unmatched)
