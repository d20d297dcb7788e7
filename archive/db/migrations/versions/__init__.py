"""One file per schema revision, named NNNN_<what>.py (``pressclips db revision``)."""
