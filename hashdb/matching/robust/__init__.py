"""Robust matching: edited re-uploads (crops, bars, captions, screenshots, mirrors, rotations).

``variants`` makes the query and reference variants hashed by the loose first stage,
``geometric`` the keypoint + aligned-content check that confirms candidates, ``matcher`` the
stages, and ``reference`` what is stored for a reference when media is added.
"""

import cv2

# OpenCV splits each call over a pool of threads, one per core. The robust stages call it
# on pictures of a few hundred pixels, where handing the work out costs more than it saves
# (a batch of 1,000 files took 67 CPU-seconds with the pool and 49 without, and less time
# on the clock too), and the processes that run them, server and batch workers, already
# keep every core busy.
cv2.setNumThreads(1)
