"""A run's life: its folder (:mod:`.folder`), one job per folder (:mod:`.lock`), the config it
recorded and whether a new command may resume it (:mod:`.record`), where a training starts
from (:mod:`.resume`), stopping cleanly on a signal (:mod:`.interrupt`), and a trained run
opened again for the commands (:mod:`.trained`)."""
