"""Stored files: uploads from bots and simulated users, addressable by file_id and file_path."""

from __future__ import annotations

import base64
import hashlib
import itertools
import mimetypes
import secrets
import struct
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, bad_request
from .params import UploadedFile

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
DEFAULT_PHOTO_SIZE = (800, 600)

# Real file_ids start with a type-specific prefix; keeping that makes them look familiar in logs.
_ID_PREFIX = {"photo": "AgACAgIAAx", "document": "BQACAgIAAx", "sticker": "CAACAgIAAx"}
_PATH_DIR = {"photo": "photos", "document": "documents", "sticker": "stickers"}
_KIND_TITLE = {"photo": "Photo", "document": "Document", "sticker": "Sticker"}


def image_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a PNG, GIF or JPEG image, read from its header."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:4] == b"GIF8" and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    index = 2
    while index + 9 < len(data):
        if data[index] != 0xFF:
            index += 1
            continue
        marker = data[index + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            index += 2
            continue
        (segment_length,) = struct.unpack(">H", data[index + 2 : index + 4])
        # SOF0..SOF15 carry the frame size; C4, C8 and CC are other segments.
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">HH", data[index + 5 : index + 9])
            return width, height
        index += 2 + segment_length
    return None


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    file_name: str | None = None
    mime_type: str | None = None
    width: int = 0
    height: int = 0
    source_url: str | None = None

    @property
    def file_size(self) -> int:
        return len(self.data)

    def _base(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
        }

    def as_photo(self) -> list[dict[str, Any]]:
        """The ``photo`` field of a Message: one PhotoSize is enough for bots to work with."""
        return [{**self._base(), "width": self.width, "height": self.height}]

    def as_document(self) -> dict[str, Any]:
        document = self._base()
        if self.file_name:
            document["file_name"] = self.file_name
        if self.mime_type:
            document["mime_type"] = self.mime_type
        return document

    def as_sticker(self, emoji: str | None) -> dict[str, Any]:
        sticker = {
            **self._base(),
            "type": "regular",
            "width": self.width or 512,
            "height": self.height or 512,
            "is_animated": False,
            "is_video": False,
        }
        if emoji:
            sticker["emoji"] = emoji
        return sticker

    def as_file(self) -> dict[str, Any]:
        return {**self._base(), "file_path": self.file_path}


class FileStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def __len__(self) -> int:
        return len(self._by_id)

    def clear(self) -> None:
        self._by_id.clear()
        self._by_path.clear()

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)

    def add(
        self,
        data: bytes,
        kind: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
        source_url: str | None = None,
    ) -> StoredFile:
        number = next(self._counter)
        digest = hashlib.sha256(source_url.encode() if source_url else data).digest()
        # Same bytes, same unique id - as in Telegram, where it identifies the content.
        unique_id = "AQAD" + base64.urlsafe_b64encode(digest[:9]).decode()
        file_id = f"{_ID_PREFIX.get(kind, 'BQACAgIAAx')}{number:06d}{secrets.token_urlsafe(12)}"
        extension = _extension(kind, file_name, mime_type)
        width, height = (0, 0)
        if kind in ("photo", "sticker"):
            width, height = image_size(data) or DEFAULT_PHOTO_SIZE
        if kind == "document" and not mime_type:
            mime_type = (mimetypes.guess_type(file_name)[0] if file_name else None) or (
                "application/octet-stream"
            )
        stored = StoredFile(
            file_id=file_id,
            file_unique_id=unique_id,
            kind=kind,
            data=data,
            file_path=f"{_PATH_DIR.get(kind, 'documents')}/file_{number}{extension}",
            file_name=file_name,
            mime_type=mime_type,
            width=width,
            height=height,
            source_url=source_url,
        )
        self._by_id[file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def add_upload(self, upload: UploadedFile, kind: str) -> StoredFile:
        if not upload.data:
            raise bad_request("file must be non-empty")
        limit = MAX_PHOTO_BYTES if kind == "photo" else MAX_UPLOAD_BYTES
        if len(upload.data) > limit:
            raise ApiError(413, "Request Entity Too Large")
        content_type = upload.content_type
        mime_type = None if content_type in ("", "application/octet-stream") else content_type
        return self.add(upload.data, kind, file_name=upload.filename or None, mime_type=mime_type)

    def resolve(self, value: UploadedFile | str, kind: str) -> StoredFile:
        """The file an InputFile parameter designates: a new upload, a known file_id or a URL."""
        if isinstance(value, UploadedFile):
            return self.add_upload(value, kind)
        if value.startswith(("http://", "https://")):
            # The emulator never fetches from the internet; the URL stands in for the content.
            name = value.rsplit("/", 1)[-1] or None
            return self.add(b"", kind, file_name=name, source_url=value)
        stored = self._by_id.get(value.strip())
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        if stored.kind != kind:
            raise bad_request(
                f"can't use file of type {_KIND_TITLE.get(stored.kind, stored.kind)} "
                f"as {_KIND_TITLE.get(kind, kind)}"
            )
        return stored


def _extension(kind: str, file_name: str | None, mime_type: str | None) -> str:
    if kind == "photo":
        return ".jpg"
    if kind == "sticker":
        return ".webp"
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[-1]
    guessed = mimetypes.guess_extension(mime_type) if mime_type else None
    return guessed or ""
