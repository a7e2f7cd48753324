"""The twin: the firmware C core built for the host, behind a pseudo-terminal."""
