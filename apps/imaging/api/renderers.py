import json

from rest_framework.renderers import BaseRenderer


class _BinaryRenderer(BaseRenderer):
    """Lets clients ask for image bytes with a strict Accept header. Successful
    responses are returned as ready-made HttpResponses; errors (dicts) are
    still rendered as JSON in the API's error shape."""

    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | bytearray):
            return bytes(data)
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Type"] = "application/json"
        return json.dumps(data).encode()


class PNGRenderer(_BinaryRenderer):
    media_type = "image/png"
    format = "png"


class OctetStreamRenderer(_BinaryRenderer):
    media_type = "application/octet-stream"
    format = "bin"
