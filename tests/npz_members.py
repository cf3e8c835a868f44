"""Taking a saved pygru file (a zip of ``.npy`` members and ``metadata.json``) apart and
putting it back together, for the tests that feed ``load`` damaged or hostile files."""

import hashlib
import io
import json
import zipfile

import numpy as np


def read_members(blob):
    with zipfile.ZipFile(io.BytesIO(blob)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_members(members, compression=zipfile.ZIP_STORED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def npy_bytes(array, allow_pickle=False):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def tampered(blob, edit=None, arrays=None):
    """``blob`` with its metadata edited in place by ``edit`` and arrays replaced (their
    descriptions and checksums refreshed) or, where the array is None, removed with their
    description."""
    members = read_members(blob)
    metadata = json.loads(members["metadata.json"])
    for key, array in (arrays or {}).items():
        if array is None:
            del members[key + ".npy"], metadata["arrays"][key]
            continue
        members[key + ".npy"] = npy_bytes(array)
        metadata["arrays"][key] = {
            "dtype": array.dtype.str,
            "shape": list(array.shape),
            "sha256": hashlib.sha256(array.tobytes()).hexdigest(),
        }
    if edit is not None:
        edit(metadata)
    members["metadata.json"] = json.dumps(metadata).encode()
    return write_members(members)
