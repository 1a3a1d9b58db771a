"""Training-speed benchmark: ``python -m colorization.bench`` (see ``__main__`` for the options).

:mod:`.measure` runs one row (a loop, precision, memory layout, data source), :mod:`.probes`
holds the instruments (FLOP counter, matmul peak, peak memory, data wait) and :mod:`.report`
writes the Markdown table and the CSV file.
"""
