"""Robust matching: edited re-uploads (crops, bars, captions, screenshots, mirrors, rotations).

``variants`` makes the query and reference variants hashed by the loose first stage,
``geometric`` the keypoint + aligned-content check that confirms candidates, ``matcher`` the
stages, and ``reference`` what is stored for a reference when media is added.
"""
