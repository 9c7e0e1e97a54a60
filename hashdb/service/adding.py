"""Adding to a list: raw hashes from a partner, or media (an image with its robust reference
data, a video as one entry holding its frame hashes), refusing what cannot match well."""

from __future__ import annotations

from collections.abc import Sequence

from hashdb.errors import InvalidHash
from hashdb.hashing import Digest, get_algorithm
from hashdb.hashing.media import HashedMedia
from hashdb.hashing.vpdq import VIDEO_ALGORITHM, fingerprint
from hashdb.identity import Principal
from hashdb.matching.robust.reference import (
    MIN_ANCHOR_KEYPOINTS,
    reference_data,
    reference_keypoints,
)
from hashdb.service.results import AddedHash, AddReport, EntryMetadata, Refusal
from hashdb.service.shared import ServicePart, adding_organisation, audit_actor, entry_added_by
from hashdb.store.models import NewEntry, NewVideoFrame


class AddingService(ServicePart):
    """Every way of adding entries; each new entry is audited in the transaction that adds it."""

    def digests(
        self,
        list_name: str,
        digests: Sequence[Digest],
        metadata: EntryMetadata,
        *,
        force: bool = False,
        source_sha256: str | None = None,
        create_list: bool = True,
        media: bool = False,
        principal: Principal,
    ) -> AddReport:
        """Add hashes to a list, refusing degenerate or low-quality ones unless forced.

        The hashes of ``media`` form one item; else each raw hash is an item of its own."""
        organisation = adding_organisation(metadata, principal)
        labels = self.store.check_labels(metadata.labels)
        added_by = entry_added_by(metadata, principal)
        report = AddReport(list_name=list_name)
        accepted: list[Digest] = []
        for digest in digests:
            try:
                if not force:
                    get_algorithm(digest.algorithm).check_storable(
                        digest, min_quality=self.service.settings.min_pdq_quality
                    )
            except InvalidHash as exc:
                report.refused.append(Refusal(digest.algorithm, digest.hex, exc.code, exc.message))
            else:
                accepted.append(digest)
        if not accepted:
            return report
        with self.store.transaction():
            hash_list = self.service.lists.writable(list_name, principal, create=create_list)
            new_entries = [
                NewEntry(
                    algorithm=digest.algorithm,
                    value=digest.value,
                    quality=digest.quality,
                    source_sha256=source_sha256,
                    label=metadata.label,
                    note=metadata.note,
                    added_by=added_by,
                    organisation=organisation,
                    source=metadata.source,
                    labels=labels,
                )
                for digest in accepted
            ]
            outcomes = self.store.add_entries(hash_list.id, new_entries, media=media)
            actor = audit_actor(principal, added_by)
            for new, outcome in zip(new_entries, outcomes, strict=True):
                if outcome.created:
                    entry = new.stored(outcome, hash_list.id, hash_list.name)
                    self.store.record_audit(
                        actor,
                        "entry.add",
                        "entry",
                        str(entry.id),
                        after=entry.to_dict(),
                        list_id=hash_list.id,
                    )
        report.added.extend(
            AddedHash(
                digest.algorithm, digest.hex, outcome.entry_id, outcome.created, outcome.item_id
            )
            for digest, outcome in zip(accepted, outcomes, strict=True)
        )
        return report

    def hex(
        self,
        list_name: str,
        algorithm: str,
        values: Sequence[str],
        metadata: EntryMetadata,
        *,
        force: bool = False,
        create_list: bool = True,
        principal: Principal,
    ) -> AddReport:
        """Add raw hashes as received from a partner. Malformed values raise before any write."""
        hasher = get_algorithm(algorithm)
        parsed = [hasher.parse(value) for value in values]
        return self.digests(
            list_name, parsed, metadata, force=force, create_list=create_list, principal=principal
        )

    def media(
        self,
        list_name: str,
        data: bytes,
        metadata: EntryMetadata,
        *,
        force: bool = False,
        create_list: bool = True,
        principal: Principal,
    ) -> AddReport:
        """Add an image or a video from its bytes (with a thumbnail if the list keeps them)."""
        media = self.service.media.for_adding(data)
        if media.image is None:
            report = self._video(list_name, media, metadata, force, create_list, principal)
        else:
            report = self._image(list_name, media, metadata, force, create_list, principal)
        self.service.thumbnails.keep_reference(list_name, report, media)
        return report

    def _image(
        self,
        list_name: str,
        media: HashedMedia,
        metadata: EntryMetadata,
        force: bool,
        create_list: bool,
        principal: Principal,
    ) -> AddReport:
        assert media.image is not None
        hashes = media.hashes
        digests = hashes.digests
        pdq = hashes.get("pdq")
        minimum = self.service.settings.min_pdq_quality
        features, rows = reference_data(media.image.rgb_array)
        with self.store.transaction():
            if not force and pdq is not None and pdq.quality is not None and pdq.quality < minimum:
                # Too little detail for PDQ means too little for every perceptual hash.
                report = self.digests(
                    list_name,
                    [d for d in digests if get_algorithm(d.algorithm).exact],
                    metadata,
                    source_sha256=hashes.sha256,
                    create_list=create_list,
                    media=True,
                    principal=principal,
                )
                report.refused.extend(
                    Refusal(
                        d.algorithm,
                        d.hex,
                        "low_quality",
                        f"PDQ quality {pdq.quality} is below {minimum}: "
                        "the image has too little detail for perceptual matching",
                    )
                    for d in digests
                    if not get_algorithm(d.algorithm).exact
                )
                # A dark or plain but not blank picture can still be recognised by its
                # keypoints: robust matching anchors it on the SHA-256 entry, never on hash
                # alone.
                anchor = "sha256" if reference_keypoints(features) >= MIN_ANCHOR_KEYPOINTS else ""
            else:
                report = self.digests(
                    list_name,
                    digests,
                    metadata,
                    force=force,
                    source_sha256=hashes.sha256,
                    create_list=create_list,
                    media=True,
                    principal=principal,
                )
                anchor = "pdq"
            # Robust matching: keypoints and variant rows hang off the anchor entry.
            late = [
                added.entry_id
                for added in report.added
                if added.algorithm == anchor
                and self.store.add_reference_data(added.entry_id, features, rows)
                and not added.created
            ]
        for entry_id in late:  # an entry from before robust matching: no change is logged
            self.service.pipeline.robust_stage.entry_changed(entry_id)
        return report

    def _video(
        self,
        list_name: str,
        media: HashedMedia,
        metadata: EntryMetadata,
        force: bool,
        create_list: bool,
        principal: Principal,
    ) -> AddReport:
        """A video is ONE ``vpdq`` entry holding its frame hashes, plus its MD5/SHA-256.

        Frames below the PDQ quality minimum (black, flat) are not stored; a video with no
        usable frame keeps only its exact hashes. All of it is one transaction."""
        hashes = media.hashes
        video = hashes.video
        assert video is not None
        minimum = 0 if force else self.service.settings.min_pdq_quality
        usable = [frame for frame in video.frames if frame.quality >= minimum]
        value = fingerprint(frame.value for frame in usable)
        with self.store.transaction():
            report = self.digests(
                list_name,
                hashes.digests,
                metadata,
                force=force,
                source_sha256=hashes.sha256,
                create_list=create_list,
                media=True,
                principal=principal,
            )
            if not usable:
                report.refused.append(
                    Refusal(
                        VIDEO_ALGORITHM,
                        value.hex(),
                        "low_quality",
                        f"no frame of the video reaches PDQ quality {minimum}: too little "
                        "detail for perceptual matching",
                    )
                )
            else:
                hash_list = self.service.lists.writable(list_name, principal, create=create_list)
                added_by = entry_added_by(metadata, principal)
                new = NewEntry(
                    algorithm=VIDEO_ALGORITHM,
                    value=value,
                    source_sha256=hashes.sha256,
                    label=metadata.label,
                    note=metadata.note,
                    added_by=added_by,
                    organisation=adding_organisation(metadata, principal),
                    source=metadata.source,
                    labels=self.store.check_labels(metadata.labels),
                )
                (outcome,) = self.store.add_entries(
                    hash_list.id, [new], media=True, item_id=report.item_id
                )
                if outcome.created:
                    self.store.record_audit(
                        audit_actor(principal, added_by),
                        "entry.add",
                        "entry",
                        str(outcome.entry_id),
                        after=new.stored(outcome, hash_list.id, hash_list.name).to_dict(),
                        list_id=hash_list.id,
                    )
                    self.store.add_video_frames(
                        outcome.entry_id,
                        [
                            NewVideoFrame(
                                index=position,
                                timestamp=frame.timestamp,
                                duration=frame.duration,
                                value=frame.value,
                                quality=frame.quality,
                                band=frame.band,
                            )
                            for position, frame in enumerate(usable)
                        ],
                    )
                report.added.append(
                    AddedHash(
                        VIDEO_ALGORITHM,
                        value.hex(),
                        outcome.entry_id,
                        outcome.created,
                        outcome.item_id,
                    )
                )
        report.warnings.extend(hashes.warnings)
        return report
