"""Static files: hashed and compressed once `collectstatic` has written the manifest
(`make run`), plain names before that (tests, a fresh checkout)."""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    manifest_strict = False

    def stored_name(self, name: str) -> str:
        if not self.hashed_files:  # no manifest yet: serve the original file name
            return name
        return super().stored_name(name)
