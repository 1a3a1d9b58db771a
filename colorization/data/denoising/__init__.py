"""Denoising data: additive white Gaussian noise made on the batch (:mod:`.noise`) and classical
denoisers to compare with (:mod:`.baselines`). The clean photos come from the photo DataModule
(``conf/data/denoising.yaml``: random crops of the built-in or your photos, and benchmark test
folders tested whole with ``data.test_whole``)."""
