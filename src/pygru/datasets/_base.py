"""Access to the files under ``pygru/datasets/data`` (through importlib.resources)."""

import gzip
import zlib
from importlib import resources

# The first bytes of the archives a data set is often downloaded in (the UCR/UEA archive
# distributes zip files), which are not text.
_ARCHIVES = {
    b"PK\x03\x04": "a zip archive",
    b"BZh": "a bzip2-compressed file",
    b"\xfd7zXZ\x00": "an xz-compressed file",
    b"7z\xbc\xaf\x27\x1c": "a 7z archive",
}


def decode_text(raw, source):
    """Decode the bytes of a UTF-8 text file, gunzipping them first if needed; text that a
    file opened in text mode already decoded loses only its byte-order mark."""
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    for magic, kind in _ARCHIVES.items():
        if raw.startswith(magic):
            raise ValueError(
                f"{source}: {kind}, not a text file; extract the file from it first "
                "(gzip-compressed files are read as they are)"
            )
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise ValueError(f"{source}: corrupt or truncated gzip data ({exc})") from None
    try:
        return raw.decode("utf-8-sig")  # without the byte-order mark some editors write
    except UnicodeDecodeError as exc:
        raise ValueError(f"{source}: not UTF-8 text ({exc})") from None


def read_data_text(folder, filename):
    """Return the text of the bundled file ``data/<folder>/<filename>``."""
    resource = resources.files(__package__) / "data" / folder / filename
    return decode_text(resource.read_bytes(), f"pygru/datasets/data/{folder}/{filename}")
