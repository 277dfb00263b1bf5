"""The headless `hotclone` commands: a front end of core, like the dashboard."""
