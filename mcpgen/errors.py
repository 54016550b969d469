"""User-facing errors.

Every problem caused by user input (steering file, detector card, command-line
value) raises :class:`ConfigError` with a one-line message naming the file, the
key and the allowed values.  The CLI prints it as ``mcpgen: error: <message>``
and exits with status 2, without a traceback.
"""


class ConfigError(ValueError):
    """Bad user input; the message is a complete one-line explanation."""

    def __init__(self, message: str, *, file=None, key=None):
        self.file = None if file is None else str(file)
        self.key = key
        where = ""
        if self.file and key:
            where = f"{self.file}: key '{key}': "
        elif self.file:
            where = f"{self.file}: "
        elif key:
            where = f"'{key}': "
        super().__init__(where + message)
