"""Batch scoring of video folders: ``formcam batch DIR --out OUT``.

* :mod:`formcam.batch.discover` finds videos (include/exclude globs) and the
  ``formcam.toml`` settings that apply to each;
* :mod:`formcam.batch.task` analyses one video into its own output folder,
  atomically, and never raises: every failure becomes an error row;
* :mod:`formcam.batch.engine` runs the tasks in-process, in local worker
  processes, or on a Ray cluster, with resume;
* :mod:`formcam.batch.summary` writes ``summary.csv`` (and Parquet) and the
  trend plot.
"""

from formcam.batch.engine import BatchOptions, run_batch

__all__ = ["BatchOptions", "run_batch"]
