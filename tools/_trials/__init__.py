"""The reliability trial runner's parts (tools/trials.py is the entry point; docs/reliability.md explains it)."""
