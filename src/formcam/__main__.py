"""``python -m formcam`` runs the command line."""

from formcam.cli import main

raise SystemExit(main())
