"""Identity data: the photos themselves (conf/data/identity.yaml selects the photo crops)."""
