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


def read_user_text(path, what: str, *, encoding: str = "utf-8") -> str:
    """Read a user-supplied text file; every failure is a one-line ConfigError naming it.

    ``what`` describes the expected content ("TOML file", "CSV file") for the
    messages."""
    from pathlib import Path

    path = Path(path)
    try:
        return path.read_text(encoding=encoding)
    except FileNotFoundError:
        raise ConfigError(f"{what} not found", file=path) from None
    except IsADirectoryError:
        raise ConfigError(f"is a directory, not a {what}", file=path) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", file=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {what}: {exc.strerror}", file=path) from None
