"""Package discovery (the rest of the metadata is in pyproject.toml): every package of
``colorization`` and ``hydra_plugins``, and ``conf/`` installed as ``colorization/conf`` with
each of its group folders, so that a new package or config group needs no edit here."""

from setuptools import find_namespace_packages, find_packages, setup

setup(
    packages=[
        *find_packages(include=["colorization", "colorization.*"]),
        *find_namespace_packages(include=["hydra_plugins.*"]),
        "colorization.conf",
        *(f"colorization.conf.{group}" for group in find_namespace_packages("conf")),
    ]
)
