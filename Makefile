# Thin aliases for tasks.py (which needs only Python 3.11 and pip).
.PHONY: demo test lint
demo: ; python3 tasks.py demo
test: ; python3 tasks.py test
lint: ; python3 tasks.py lint
