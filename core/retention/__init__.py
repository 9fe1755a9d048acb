"""Keeping the disk from filling up: what each media file is, how long it is kept, the daily clean-up.

Media lives under `DATA_DIR` (`uploads/` for files received from chat, `media/` for downloads,
renders, previews, thumbnails and charts) and, when `MEDIA_STORE` is set, in the shared store
(a directory or an S3 bucket) under the same keys. Each file has a kind (`kinds`), an age
limit per kind (`policy`, from the `*_RETENTION_*` settings), and may be needed right now
(`needed`: a queued or running job, a proposal awaiting a decision, an unfinished
publication, an undelivered message). The daily sweep (`sweep`) removes what has expired
and what nothing refers to any more, never what is needed; `space` watches free space.
"""
