"""The protected training step the tasks share: manual optimisation with accumulation and
clipping (:mod:`.optimization`, :mod:`.clipping`), out-of-memory re-splitting (:mod:`.oom`), the
loss guard (:mod:`.guard`, :mod:`.verdicts`, :mod:`.veto`, :mod:`.recovery`), data-parallel
averaging (:mod:`.distributed`) and the state it keeps in checkpoints (:mod:`.training_state`).
It knows no task."""
