"""Gather runs into a comparison report (``python -m colorization.report``)."""
