"""The interactive colorization page: ``python -m colorization.app <checkpoint>``."""
