import asyncio, sys, time
from aiolimiter import AsyncLimiter
import bench.broadcast as b
import scheduler.sender as s

variant = sys.argv[1]
orig_init = s.OutboxSender.__init__
class Leaky:
    def __init__(self): self.l = AsyncLimiter(1, 1/29.5)
    async def acquire(self): await self.l.acquire()
    def record(self): pass
def init(self, *a, **k):
    orig_init(self, *a, **k)
    if variant == "leaky": self._pace = Leaky()
    elif variant == "w29": self._pace = s.SendWindow(29)
s.OutboxSender.__init__ = init
async def main():
    r = await b.run(1000)
    print(variant, r["msgs_per_s"], r["http_429"], r["delivered"], r["cpu_ms_per_msg"])
asyncio.run(main())
