"""Super-resolution data: the degradation that makes low-resolution inputs, and the Y channel
the literature scores on. The photos themselves come from the photo DataModule
(``conf/data/superres.yaml``: random high-resolution crops of the built-in or your photos)."""
