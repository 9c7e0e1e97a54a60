"""Feedback: whether a match on an entry was right, as the platforms that saw it say."""

from __future__ import annotations

from collections.abc import Sequence

from hashdb.errors import Forbidden
from hashdb.identity import Principal, Role
from hashdb.service.results import EntryFeedback
from hashdb.service.shared import ServicePart, actor
from hashdb.store.models import Feedback, FeedbackCounts, Verdict, count_latest


class FeedbackService(ServicePart):
    """Verdicts on entries: given by anyone who can see the entry, read by analysts."""

    def give(
        self,
        entry_id: int,
        verdict: Verdict,
        reason: str | None = None,
        *,
        principal: Principal,
    ) -> Feedback:
        """A platform says whether a match on this entry was right (agree) or not (disagree)."""
        reason = reason.strip() if reason else None
        with self.store.transaction():
            entry = self.service.entries.get(entry_id, principal)
            given = self.store.add_feedback(
                entry.id, Verdict(verdict), reason, principal.name, principal.organisation
            )
            self.store.record_audit(
                actor(principal),
                "entry.feedback",
                "entry",
                str(entry_id),
                None,
                {"verdict": given.verdict.value, "reason": reason},
                list_id=entry.list_id,
            )
        return given

    def for_entry(self, entry_id: int, principal: Principal) -> EntryFeedback:
        """Per-entry counts (each voter's latest verdict) and the full feedback history."""
        if not principal.has(Role.ANALYST):
            raise Forbidden("reading feedback needs the analyst role")
        entry = self.service.entries.get(entry_id, principal)
        items = self.store.feedback_for([entry.id]).get(entry.id, [])
        return EntryFeedback(entry.id, count_latest(items), items)

    def counts(self, entry_ids: Sequence[int], principal: Principal) -> dict[int, FeedbackCounts]:
        """Each entry's counts; an entry the caller cannot see is not found."""
        for entry_id in entry_ids:
            self.service.entries.get(entry_id, principal)
        found = self.store.feedback_for(entry_ids)
        return {entry_id: count_latest(found.get(entry_id, [])) for entry_id in entry_ids}
