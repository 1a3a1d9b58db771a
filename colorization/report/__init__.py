"""Gather runs into a comparison report (``python -m colorization.report``): seeds grouped into
configurations with intervals, every pair tested on the same images."""
