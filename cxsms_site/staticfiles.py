"""Static files through whitenoise, made for an ASGI server.

whitenoise's Django middleware answers with a FileResponse over a synchronous file. Under ASGI
Django then warns for every file and reads the whole file into memory in one go
("StreamingHttpResponse must consume synchronous iterators"). Here the same response streams the
file in chunks, each read in a worker thread, so daphne's event loop never blocks on the disk.
"""
from asgiref.sync import sync_to_async
from django.http import StreamingHttpResponse
from whitenoise.middleware import WhiteNoiseMiddleware

CHUNK = 64 * 1024


async def _chunks(file):
    if file is None:  # HEAD, 304 Not Modified
        return
    read, close = sync_to_async(file.read, thread_sensitive=False), sync_to_async(file.close, thread_sensitive=False)
    try:
        while chunk := await read(CHUNK):
            yield chunk
    finally:
        await close()


class AsgiWhiteNoiseMiddleware(WhiteNoiseMiddleware):
    @staticmethod
    def serve(static_file, request):
        response = static_file.get_response(request.method, request.META)
        http_response = StreamingHttpResponse(_chunks(response.file), status=int(response.status))
        del http_response["Content-Type"]  # whitenoise's own headers follow
        for key, value in response.headers:
            http_response[key] = value
        return http_response
