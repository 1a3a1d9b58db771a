"""A trained run opened again, for the commands (``evaluate``, ``predict``, ``export``,
``report``, the page): its config checked and its task built (:mod:`.run`), its checkpoint or
ONNX file as a network (:mod:`.network`), settings given to it (:mod:`.overrides`), its test
results (:mod:`.evaluation_files`) and a published protocol run on it (:mod:`.published`).

It stands on the core (build, tasks, inference) and on :mod:`colorization.runs`, and only the
commands stand on it."""
