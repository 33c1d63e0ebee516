"""formcam Streamlit app: ``streamlit run app.py`` (or ``formcam app``); the page is formcam.app.main."""

from formcam.app.main import main

main()
