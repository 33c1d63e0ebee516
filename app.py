"""formcam Streamlit app (placeholder until the app issue lands).

Run with ``streamlit run app.py``. Videos stay on this machine: usage
statistics are off in ``.streamlit/config.toml``.
"""

from __future__ import annotations

import streamlit as st

from formcam import __version__

st.set_page_config(page_title="formcam", page_icon="🏃")
st.title("formcam")
st.caption(f"Running-form analysis from video · version {__version__}")
st.info("The interactive app is under construction. Use the command line for now: "
        "`formcam analyze VIDEO --out DIR`.")
