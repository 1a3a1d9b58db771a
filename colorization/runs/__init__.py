"""A run's life: its folder (:mod:`.folder`), one job per folder (:mod:`.lock`), the config it
recorded and whether a new command may resume it (:mod:`.record`), what a recorded config may
resolve and build (:mod:`.trust`), where a training starts from (:mod:`.resume`) and stopping
cleanly on a signal (:mod:`.interrupt`). What runs of earlier versions need is
:mod:`colorization.compat`; a trained run opened again for the commands is
:mod:`colorization.trained`."""
