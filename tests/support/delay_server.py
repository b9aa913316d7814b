"""A server that answers with known delays (12 ms for 90% of requests, 147 ms for 8%, 563 ms for 2%) and
writes how long it handled each request (its own truth) when it ends: the stress engine's accuracy is judged
against it (tests/stress, bench/stress.py). Run in a process of its own: python -c DELAY_SERVER PORT SECONDS FILE.
"""

DELAY_SERVER = """
import asyncio, sys, time
truth, counter = [], [0]
class Delayed(asyncio.Protocol):
    # A bare protocol, not streams: the clock starts in the callback that receives the request and stops right
    # after the response is handed to the kernel, with no task switch on either side to hide.
    def connection_made(self, transport):
        self.transport, self.buffer = transport, b""
    def data_received(self, data):
        started = time.perf_counter()
        self.buffer += data
        while b"\\r\\n\\r\\n" in self.buffer:
            _, self.buffer = self.buffer.split(b"\\r\\n\\r\\n", 1)
            n = counter[0] = counter[0] + 1
            delay = 0.563 if n % 50 == 0 else 0.147 if n % 50 in (1, 2, 3, 4) else 0.012
            asyncio.get_running_loop().call_later(delay, self.respond, started)
    def respond(self, started):
        if not self.transport.is_closing():
            self.transport.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nContent-Type: text/plain\\r\\n\\r\\nok")
            truth.append((time.perf_counter() - started) * 1000)
async def main():
    server = await asyncio.get_running_loop().create_server(Delayed, "127.0.0.1", int(sys.argv[1]))
    try:
        await asyncio.sleep(float(sys.argv[2]))
    finally:
        open(sys.argv[3], "w").write("\\n".join(f"{t:.4f}" for t in truth))
asyncio.run(main())
"""
