"""Generated media for tests and benchmarks: scenes and encoded images (``images``), videos
and their edits (``videos``), and the robustness benchmark's known pictures, distractors and
edit families (``robustness``). Nothing in the library imports this package."""
