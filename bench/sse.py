"""Reading OpenAI-style server-sent event streams (for the serving benchmarks)."""
import json


def read_events(response):
    """The JSON objects of an HTTP response's `data:` events, in order, and whether the stream
    ended with `data: [DONE]` (a stream cut short before it was lost)."""
    objects, buffer = [], b""
    while True:
        chunk = response.read1(65536)
        if not chunk:
            return objects, False
        buffer += chunk
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            if not event.startswith(b"data: "):
                continue
            if event[6:] == b"[DONE]":
                return objects, True
            objects.append(json.loads(event[6:]))
