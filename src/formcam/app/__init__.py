"""formcam's Streamlit app: upload a running video, see metrics, cues and plots, compare sessions.

The page itself is :mod:`formcam.app.main` (``streamlit run`` it, or run
``formcam app``; the repository's ``app.py`` is a shim that calls it). The
other modules hold the logic in small, Streamlit-free, testable pieces:

* :mod:`~formcam.app.catalog`: metric labels, formats and typical ranges;
* :mod:`~formcam.app.compare`: before/after comparison against smallest detectable differences;
* :mod:`~formcam.app.two_sides`: left/right from two side views, each leg where it is near
  (``formcam compare-sides``);
* :mod:`~formcam.app.state`: settings, cache keys, the per-session temp folder, the result cache;
* :mod:`~formcam.app.processing`: upload checks and analysis runs (errors become messages);
* :mod:`~formcam.app.timeseries`: per-frame signals and gait events for the plots;
* :mod:`~formcam.app.people`: thumbnails of the candidate runners;
* :mod:`~formcam.app.paths`: the page script and the sample clips;
* :mod:`~formcam.app.views`, :mod:`~formcam.app.plots`, :mod:`~formcam.app.compare_view`: rendering;
* :mod:`~formcam.app.launch`: the ``formcam app`` subcommand.

Videos never leave the machine: analysis runs in the Streamlit server process
and usage statistics are switched off.
"""
