"""Several crawl processes, on any machines, writing one PostgreSQL archive (``--distributed``).

What they share lives in Redis, under one key prefix per archive (``keys``): scrapy-redis's
request queue and dupefilter, the lease under which one worker seeds a cycle's sitemaps and
feeds (``lease``), the workers' heartbeats (``workers``), and each outlet's politeness slot
(``politeness``). The database frontier stays the source of truth: a worker claims due URLs
there, and ``reconcile`` gives back what a dead worker claimed but never archived (scrapy-redis
delivers at most once). Nothing here imports Scrapy.
"""
