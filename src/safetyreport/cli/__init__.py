"""The command line: the commands (commands), Chinese help and usage errors (clitext), printing for people and scripts (console)."""
