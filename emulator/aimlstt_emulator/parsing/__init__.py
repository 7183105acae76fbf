"""Reading create requests off the wire: the body in pieces, JSON and url-encoded forms, multipart uploads.

Nothing here judges the fields; :mod:`aimlstt_emulator.validation` does.
"""
